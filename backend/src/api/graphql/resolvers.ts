import { breakdown, summary, type BreakdownArgs } from './breakdown-query';
import type { DashboardContext, ResolverDeps } from './dashboard-context';
import type { DimensionFilter } from './event-sql';
import { recentEvents } from './event-queries';
import { funnel, type FunnelArgs } from './funnel-query';
import { eventCountsOf, liveEventsOf, segmentChangesOf } from './live-subscriptions';
import {
  liveVisitors,
  profileActivity,
  profileSearch,
  profileTimeline,
  userCounts,
} from './profile-queries';
import type { GraphQLResolveInfo } from 'graphql';
import { DateTimeScalar, JsonObjectScalar } from './scalars';
import { selectedFields } from './selected-fields';
import { timeseries, type TimeseriesArgs } from './timeseries-query';
import { topPages } from './top-pages-query';

type RangeArgs = { from: number; to: number; limit: number };

/**
 * The resolvers. Each one reads `context.customerId`, which the secret key decided; no
 * argument can name a customer.
 */
export function createResolvers(deps: ResolverDeps) {
  const passThrough = <T>(payload: T) => payload;
  return {
    DateTime: DateTimeScalar,
    JSONObject: JsonObjectScalar,
    Query: {
      timeseries: (
        _: unknown,
        args: TimeseriesArgs,
        { customerId }: DashboardContext,
        info: GraphQLResolveInfo,
      ) => {
        const fields = selectedFields(info);
        return timeseries(deps, customerId, args, {
          uniqueVisitors: fields?.has('uniqueVisitors') ?? true,
          sessions: fields?.has('sessions') ?? true,
        });
      },
      summary: (
        _: unknown,
        args: { from: number; to: number; filter?: DimensionFilter | null },
        { customerId }: DashboardContext,
      ) => summary(deps, customerId, args),
      breakdown: (_: unknown, args: BreakdownArgs, { customerId }: DashboardContext) =>
        breakdown(deps, customerId, args),
      profileSearch: (
        _: unknown,
        args: { query: string; limit: number },
        { customerId }: DashboardContext,
      ) => profileSearch(deps, customerId, args),
      profileActivity: (_: unknown, args: { ids: string[] }, { customerId }: DashboardContext) =>
        profileActivity(deps, customerId, args),
      profileTimeline: (
        _: unknown,
        args: { id: string; limit: number },
        { customerId }: DashboardContext,
      ) => profileTimeline(deps, customerId, args),
      topPages: (_: unknown, args: RangeArgs, { customerId }: DashboardContext) =>
        topPages(deps, customerId, args),
      funnel: (_: unknown, args: FunnelArgs, { customerId }: DashboardContext) =>
        funnel(deps, customerId, args),
      liveVisitors: (_: unknown, __: unknown, { customerId }: DashboardContext) =>
        liveVisitors(deps, customerId),
      userCounts: (_: unknown, args: RangeArgs, { customerId }: DashboardContext) =>
        userCounts(deps, customerId, args),
      recentEvents: (_: unknown, args: { limit: number }, { customerId }: DashboardContext) =>
        recentEvents(deps, customerId, args),
    },
    Subscription: {
      eventCounts: {
        subscribe: (_: unknown, __: unknown, { customerId }: DashboardContext) =>
          eventCountsOf(deps, customerId),
        resolve: passThrough,
      },
      liveEvents: {
        subscribe: (_: unknown, __: unknown, { customerId }: DashboardContext) =>
          liveEventsOf(deps, customerId),
        resolve: passThrough,
      },
      segmentChanges: {
        subscribe: (_: unknown, __: unknown, { customerId }: DashboardContext) =>
          segmentChangesOf(deps, customerId),
        resolve: passThrough,
      },
    },
  };
}
