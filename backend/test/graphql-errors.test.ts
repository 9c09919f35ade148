import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { maskDashboardError } from '../src/api/graphql/error-codes';
import { WarehouseError } from '../src/warehouse/warehouse-error';

describe('maskDashboardError', () => {
  it('hides the message and stack of an unexpected error behind INTERNAL_SERVER_ERROR', () => {
    const bug = new Error('Code: 62. Syntax error near SELECT * FROM pulse.events at /src/x.ts:3');
    const masked = maskDashboardError(new GraphQLError(bug.message, { originalError: bug }));
    expect(masked.toString()).not.toMatch(/SELECT|pulse\.events|x\.ts/);
    expect(JSON.parse(JSON.stringify(masked))).toEqual({
      message: 'Unexpected error.',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('says SERVICE_UNAVAILABLE when the warehouse is down', () => {
    const down = new WarehouseError('unavailable', 'could not reach http://user:secret@host');
    const masked = JSON.parse(JSON.stringify(maskDashboardError(down)));
    expect(masked).toEqual({
      message: 'the warehouse is unavailable; retry',
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    });
  });

  it('keeps a coded GraphQL error and codes an uncoded one as BAD_USER_INPUT', () => {
    const coded = new GraphQLError('x', { extensions: { code: 'QUERY_TOO_COMPLEX' } });
    expect(maskDashboardError(coded)).toBe(coded);
    expect(coded.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
    const variable = new GraphQLError(
      'Variable "$from" of required type "DateTime!" was not provided.',
    );
    expect(JSON.parse(JSON.stringify(maskDashboardError(variable))).extensions).toEqual({
      code: 'BAD_USER_INPUT',
    });
  });
});
