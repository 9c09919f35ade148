import { describe, expect, it } from 'vitest';
import type { GraphQLError } from 'graphql';
import { createLiveFeed } from '../live-feed';
import type { ResolverDeps } from './dashboard-context';
import {
  MAX_SUBSCRIPTIONS_PER_CUSTOMER,
  eventCountsOf,
  segmentChangesOf,
} from './live-subscriptions';

describe('live subscriptions', () => {
  it('holds each customer to its budget of open subscriptions, and frees a place when one ends', async () => {
    // The warehouse is never read: no batch is published in this test.
    const deps = { live: createLiveFeed(), now: Date.now } as unknown as ResolverDeps;
    const open = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CUSTOMER }, (_, i) =>
      i % 2 ? eventCountsOf(deps, 'cust_a') : segmentChangesOf(deps, 'cust_a'),
    );
    let refused: GraphQLError | undefined;
    try {
      eventCountsOf(deps, 'cust_a');
    } catch (error) {
      refused = error as GraphQLError;
    }
    expect(refused?.extensions).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
      http: { status: 429 },
    });
    // Another customer is not held back by this one.
    const other = eventCountsOf(deps, 'cust_b');
    await other.return?.();
    await open[0]!.return?.();
    const again = eventCountsOf(deps, 'cust_a');
    for (const channel of [...open, again]) await channel.return?.();
  });
});
