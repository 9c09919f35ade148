import type { ApiContext } from '../api-context';

/** What every resolver gets: the customer of the request's secret key, and nothing to pick another. */
export interface DashboardContext {
  customerId: string;
}

/** Resolvers are built once per app from the ApiContext (warehouse, live feed, clock). */
export type ResolverDeps = Pick<ApiContext, 'warehouse' | 'live' | 'now'>;
