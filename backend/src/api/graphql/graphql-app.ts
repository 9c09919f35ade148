import { Hono } from 'hono';
import { createSchema, createYoga } from 'graphql-yoga';
import type { ApiContext } from '../api-context';
import type { DashboardContext } from './dashboard-context';
import { maskDashboardError, useErrorCodes } from './error-codes';
import { queryLimitPlugins } from './query-limits';
import { requireCustomer, type CustomerVariables } from './require-customer';
import { createResolvers } from './resolvers';
import { typeDefs } from './type-defs';

/** Where the dashboard API answers. */
export const GRAPHQL_PATH = '/graphql';

/**
 * The dashboard API: `POST /graphql` (and GET) with a secret key, queries over the warehouse
 * and subscriptions over SSE (`Accept: text/event-stream`) fed by the live feed. The schema
 * and examples are in README.md beside this file.
 */
export function createGraphqlApp(context: ApiContext): Hono<{ Variables: CustomerVariables }> {
  const yoga = createYoga<DashboardContext>({
    schema: createSchema<DashboardContext>({ typeDefs, resolvers: createResolvers(context) }),
    graphqlEndpoint: GRAPHQL_PATH,
    // No GraphiQL page: it loads its code from a CDN and the API wants a secret key anyway.
    graphiql: false,
    landingPage: false,
    maskedErrors: { maskError: maskDashboardError, isDev: false },
    plugins: [...queryLimitPlugins(), useErrorCodes()],
    // Only masked errors (bugs, outages) are logged, with their cause.
    logging: 'error',
  });
  const app = new Hono<{ Variables: CustomerVariables }>();
  app.use(GRAPHQL_PATH, requireCustomer(context.keys));
  app.on(['GET', 'POST'], GRAPHQL_PATH, (c) =>
    yoga.fetch(c.req.raw, { customerId: c.get('customerId') }),
  );
  return app;
}
