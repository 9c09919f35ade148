import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentDefinitionSchema } from '@pulse/contract/schema';
import { loadVectors } from '../../tests/vectors/load';
import { MAX_SEGMENTS_PER_CUSTOMER } from '../src/api/segments/segments-app';
import { UNFINISHED_WRITE_KIND, WRITE_LEASE_KIND } from '../src/api/segments/segment-writes';
import { pageView, startApiBackend, viewsOf } from './segments-api-fixtures';

type Api = Awaited<ReturnType<typeof startApiBackend>>;
type ErrorAnswer = {
  error: { code: string; message: string; issues?: Array<{ path: string; message: string }> };
};

let api: Api;
beforeAll(async () => {
  // No finisher: a write recorded as unfinished stays so until a request changes it.
  api = await startApiBackend({ finishSegmentWritesEveryMs: 0 });
});
afterAll(async () => {
  await api?.stop();
});

describe('keys', () => {
  it('refuses a call without a key or with an unknown one', async () => {
    const missing = await api.call<ErrorAnswer>('GET', '/v1/segments', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('missing_key');
    const unknown = await api.call<ErrorAnswer>('GET', '/v1/profiles/v1', { key: 'sk_nobody' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_key');
  });

  it('serves the OpenAPI document without a key, with every route and the error shape', async () => {
    const doc = await api.call<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; responses: object }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    }>('GET', '/v1/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths).sort()).toEqual([
      '/v1/profiles/{id}',
      '/v1/profiles/{id}/decide',
      '/v1/segments',
      '/v1/segments/preview',
      '/v1/segments/{id}',
      '/v1/segments/{id}/members',
    ]);
    expect(Object.keys(doc.body.paths['/v1/segments/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    expect(doc.body.paths['/v1/segments']?.post?.security).toEqual([{ secretKey: [] }]);
    expect(doc.body.components.securitySchemes).toHaveProperty('secretKey');
    expect(doc.body.components.schemas).toHaveProperty('SegmentDefinition');
    expect(doc.body.components.schemas).toHaveProperty('Error');
    expect(JSON.stringify(doc.body.components.schemas.SegmentDefinition)).toContain('min_count');
  });
});

describe('validation', () => {
  const refused = async (body: unknown) => {
    const answer = await api.call<ErrorAnswer>('POST', '/v1/segments', { body });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('invalid_segment');
    return answer.body.error;
  };

  it('names the field of each broken rule', async () => {
    const good = viewsOf('good', '/pricing', 3);
    const minCount = await refused({ ...good, rule: { ...good.rule, min_count: 0 } });
    expect(minCount.message).toBe('rule.min_count: min_count must be at least 1');
    expect(minCount.issues).toEqual([
      { path: 'rule.min_count', message: 'min_count must be at least 1' },
    ]);
    const window = await refused({ ...good, rule: { ...good.rule, window: '2w' } });
    expect(window.issues?.[0]?.path).toBe('rule.window');
    expect(window.message).toContain('"30m", "24h", "7d"');
    const id = await refused({ ...good, id: 'no spaces' });
    expect(id.issues?.map((i) => i.path)).toEqual(['id']);
    const type = await refused({ ...good, rule: { ...good.rule, event_type: 'purchase' } });
    expect(type.message).toMatch(/^rule\.event_type: event_type must be one of page_view/);
    const operator = await refused({
      ...good,
      rule: { ...good.rule, where: { 'properties.total': { gt: 'ten' } } },
    });
    expect(operator.issues).toEqual([
      { path: 'rule.where.properties.total.gt', message: 'gt must be a number' },
    ]);
    const typo = await refused({ ...good, rule: { ...good.rule, min_cout: 2 } });
    expect(typo.message).toContain('min_cout');
    const missing = await refused({ id: 'x' });
    expect(missing.issues?.map((i) => i.path)).toEqual(['rule']);
  });

  it('accepts every segment the processing vectors define', () => {
    const definitions = loadVectors().flatMap((vector) => Object.values(vector.segments).flat());
    expect(definitions.length).toBeGreaterThan(20);
    for (const definition of definitions) {
      expect(segmentDefinitionSchema.safeParse(definition).error?.issues).toBeUndefined();
    }
  });

  it('answers 400 to a body that is not JSON and to bad paging parameters', async () => {
    const broken = await api.call<ErrorAnswer>('POST', '/v1/segments', { rawBody: '{"id": ' });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_json');
    const notDeclared = await fetch(`${api.backend.url}/v1/segments`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_a' },
      body: JSON.stringify(viewsOf('untyped', '/p', 1)),
    });
    expect(notDeclared.status).toBe(415);
    expect(await notDeclared.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    expect((await api.call('GET', '/v1/segments/untyped')).status).toBe(404);
    expect(
      (await api.call('POST', '/v1/segments', { body: viewsOf('paged', '/p', 1) })).status,
    ).toBe(201);
    const limit = await api.call<ErrorAnswer>('GET', '/v1/segments/paged/members?limit=0');
    expect(limit.status).toBe(400);
    expect(limit.body.error).toMatchObject({ code: 'invalid_request' });
    expect(limit.body.error.issues?.[0]?.path).toBe('limit');
    const cursor = await api.call<ErrorAnswer>('GET', '/v1/segments/paged/members?cursor=zzz');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.message).toMatch(/^cursor: /);
    const badId = await api.call<ErrorAnswer>('GET', '/v1/segments/a:b');
    expect(badId.status).toBe(400);
    expect(badId.body.error.issues?.[0]?.path).toBe('id');
  });
});

describe('segment definitions', () => {
  it('keeps a customer within its budget of segments, with a clear 409', async () => {
    const store = api.backend.store;
    const ids = Array.from({ length: MAX_SEGMENTS_PER_CUSTOMER }, (_, i) => `budget_${i}`);
    for (const id of ids) await store.putDefinition('cust_b', viewsOf(id, '/budget', 1));
    try {
      const over = await api.call<ErrorAnswer>('POST', '/v1/segments', {
        key: 'sk_b',
        body: viewsOf('one_too_many', '/budget', 1),
      });
      expect(over.status).toBe(409);
      expect(over.body.error).toMatchObject({
        code: 'segment_limit',
        message: `customer cust_b has ${MAX_SEGMENTS_PER_CUSTOMER} segments, the most it may have; delete one first`,
      });
    } finally {
      for (const id of ids) await store.deleteDefinition('cust_b', id);
    }
  });

  it('creates, reads, lists, renames, redefines and deletes a segment', async () => {
    const definition = { ...viewsOf('crud', '/pricing', 2), name: 'Pricing, twice' };
    const created = await api.call('POST', '/v1/segments', { body: definition });
    expect(created.status).toBe(201);
    expect(created.body.segment).toEqual(definition);
    expect(created.body.backfill).toMatchObject({ events_scanned: 0, members: 0 });

    const again = await api.call<ErrorAnswer>('POST', '/v1/segments', { body: definition });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('segment_exists');

    expect((await api.call('GET', '/v1/segments/crud')).body).toEqual(definition);
    const list = await api.call<{ segments: Array<{ id: string }> }>('GET', '/v1/segments');
    expect(list.body.segments.map((s) => s.id)).toContain('crud');

    const renamed = await api.call('PUT', '/v1/segments/crud', {
      body: { ...definition, id: undefined, name: 'Pricing fans' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({
      segment: { ...definition, name: 'Pricing fans' },
      backfill: null,
    });

    const redefined = await api.call('PUT', '/v1/segments/crud', {
      body: viewsOf('crud', '/features', 1, '1h'),
    });
    expect(redefined.status).toBe(200);
    expect(redefined.body.backfill).toMatchObject({ events_scanned: 0, members: 0 });
    expect((await api.call('GET', '/v1/segments/crud')).body).toEqual(
      viewsOf('crud', '/features', 1, '1h'),
    );

    const otherId = await api.call<ErrorAnswer>('PUT', '/v1/segments/crud', {
      body: viewsOf('renamed', '/features', 1),
    });
    expect(otherId.status).toBe(422);
    expect(otherId.body.error.issues?.[0]?.path).toBe('id');
    const absent = await api.call('PUT', '/v1/segments/absent', {
      body: viewsOf('absent', '/', 1),
    });
    expect(absent.status).toBe(404);

    expect((await api.call('DELETE', '/v1/segments/crud')).status).toBe(204);
    expect((await api.call('GET', '/v1/segments/crud')).status).toBe(404);
    expect((await api.call('DELETE', '/v1/segments/crud')).status).toBe(404);
    expect((await api.call('GET', '/v1/segments/crud/members')).status).toBe(404);
  });

  it('keeps the members when a redefinition only reorders the rule', async () => {
    const rule = {
      min_count: 1,
      window: '1d',
      where: { 'properties.a': 1, 'properties.b': { lt: 3, gt: 1 } },
    };
    await api.call('POST', '/v1/segments', { body: { id: 'ordered', rule } });
    const reordered = await api.call('PUT', '/v1/segments/ordered', {
      body: {
        rule: {
          window: '1d',
          where: { 'properties.b': { gt: 1, lt: 3 }, 'properties.a': 1 },
          min_count: 1,
        },
      },
    });
    expect(reordered.body.backfill).toBeNull();
  });

  it('deletes the members and evidence with the definition', async () => {
    const { backend } = api;
    await api.call('POST', '/v1/segments', { body: viewsOf('gone', '/gone', 1) });
    await backend.processor.process([pageView('cust_a', 'gone-1', 'v-gone', '/gone', 5)]);
    expect((await api.call('GET', '/v1/segments/gone/members')).body.members).toEqual(['v-gone']);
    expect((await api.call('DELETE', '/v1/segments/gone')).status).toBe(204);
    const ref = { customer: 'cust_a', segment: 'gone', id: 'v-gone' };
    expect(await backend.store.memberships([ref])).toEqual([null]);
    const [evidence] = await backend.store.evidence([{ ...ref, source: 'v-gone' }]);
    expect(evidence?.size).toBe(0);
    // Created again, it starts from the warehouse history, not from leftovers.
    const back = await api.call('POST', '/v1/segments', { body: viewsOf('gone', '/gone', 2) });
    expect(back.body.backfill).toMatchObject({ events_replayed: 1, members: 0 });
  });

  it('finishes a write left unfinished when the same rule is sent again', async () => {
    const { store, processor } = api.backend;
    await processor.process([pageView('cust_a', 'again-1', 'v-again', '/again', 5)]);
    // What a backend stopped before the history leaves (segment-writes.ts).
    await store.putDefinition('cust_a', viewsOf('again', '/again', 1));
    await store.putDocument('cust_a', UNFINISHED_WRITE_KIND, 'again', { kind: 'define' });
    const members = async () =>
      (await api.call('GET', '/v1/segments/again/members')).body.members as string[];
    expect(await members()).toEqual([]);
    const put = () =>
      api.call('PUT', '/v1/segments/again', { body: viewsOf('again', '/again', 1) });
    const first = await put();
    expect(first.status).toBe(200);
    expect(first.body.backfill).toMatchObject({ events_replayed: 1, members: 1, exited: 0 });
    expect(await members()).toEqual(['v-again']);
    expect(await store.listDocuments('cust_a', UNFINISHED_WRITE_KIND)).toEqual([]);
    expect(await store.listDocuments('cust_a', WRITE_LEASE_KIND)).toEqual([]);
    // Sent once more, there is nothing left to finish.
    const second = await put();
    expect(second.status).toBe(200);
    expect(second.body.backfill).toBeNull();
  });

  it('forgets a write left unfinished when its segment is deleted, so nothing finishes it', async () => {
    const { store } = api.backend;
    // What a backend stopped in the middle of a backfill leaves (segment-writes.ts).
    await store.putDefinition('cust_a', viewsOf('cut', '/cut', 1));
    await store.putDocument('cust_a', UNFINISHED_WRITE_KIND, 'cut', { kind: 'define' });
    expect((await api.call('DELETE', '/v1/segments/cut')).status).toBe(204);
    expect(await store.listDocuments('cust_a', UNFINISHED_WRITE_KIND)).toEqual([]);
    expect((await api.call('GET', '/v1/segments/cut')).status).toBe(404);
  });
});

describe('tenants', () => {
  it('keeps each customer to its own segments and profiles', async () => {
    const { backend } = api;
    await api.call('POST', '/v1/segments', { body: viewsOf('mine', '/a-only', 1) });
    await backend.processor.process([pageView('cust_a', 'mine-1', 'v-a', '/a-only', 3)]);

    expect((await api.call('GET', '/v1/segments/mine', { key: 'sk_b' })).status).toBe(404);
    const listB = await api.call<{ segments: unknown[] }>('GET', '/v1/segments', { key: 'sk_b' });
    expect(listB.body.segments).toEqual([]);
    expect((await api.call('GET', '/v1/segments/mine/members', { key: 'sk_b' })).status).toBe(404);
    expect((await api.call('DELETE', '/v1/segments/mine', { key: 'sk_b' })).status).toBe(404);
    expect((await api.call('GET', '/v1/profiles/v-a', { key: 'sk_b' })).status).toBe(404);
    expect((await api.call('DELETE', '/v1/profiles/v-a', { key: 'sk_b' })).status).toBe(404);

    // B's segment of the same id is B's own: created, filled from B's history only.
    const created = await api.call('POST', '/v1/segments', {
      key: 'sk_b',
      body: viewsOf('mine', '/a-only', 1),
    });
    expect(created.status).toBe(201);
    expect(created.body.backfill).toMatchObject({ events_scanned: 0, members: 0 });
    expect((await api.call('DELETE', '/v1/segments/mine', { key: 'sk_b' })).status).toBe(204);

    // A's segment and profile are as they were.
    expect((await api.call('GET', '/v1/segments/mine/members')).body.members).toEqual(['v-a']);
    const profile = await api.call('GET', '/v1/profiles/v-a');
    expect(profile.body).toMatchObject({ id: 'v-a', segments: [{ id: 'mine' }], events: 1 });
  });
});

describe('members', () => {
  it('pages through every member once, in pages of the limit', async () => {
    const { backend } = api;
    await api.call('POST', '/v1/segments', { body: viewsOf('many', '/many', 1) });
    const visitors = Array.from({ length: 23 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    await backend.processor.process(
      visitors.map((visitor, i) => pageView('cust_a', `many-${i}`, visitor, '/many', 10)),
    );
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=5&cursor=${encodeURIComponent(cursor)}` : '?limit=5';
      const page = await api.call<{ members: string[]; next_cursor: string | null }>(
        'GET',
        `/v1/segments/many/members${query}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.members);
      sizes.push(page.body.members.length);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect(seen).toEqual(visitors);
    const whole = await api.call('GET', '/v1/segments/many/members?limit=1000');
    expect(whole.body).toEqual({ members: visitors, next_cursor: null });
  });
});
