import { describe, expect, it } from 'vitest';
import { createTestEdge } from '../../test/support/test-app';
import { KEYS, nativeEvent } from '../../test/support/fixtures';

const url = `http://edge.test/v1/events?key=${KEYS.open}`;

function request(body: unknown, headers: Record<string, string>, cf?: unknown): Request {
  const req = new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...headers },
    body: JSON.stringify(body),
  });
  if (cf !== undefined) Object.defineProperty(req, 'cf', { value: cf });
  return req;
}

describe('request enrichment', () => {
  it('adds user agent, locale and Workers geo to events that lack them', async () => {
    const edge = createTestEdge();
    const cf = {
      country: 'DE',
      region: 'Berlin',
      city: 'Berlin',
      timezone: 'Europe/Berlin',
      colo: 'TXL',
    };
    const res = await edge.app.fetch(
      request(
        { events: [nativeEvent()] },
        { 'user-agent': 'Mozilla/5.0 Test', 'accept-language': 'de-DE,de;q=0.9' },
        cf,
      ),
    );
    expect(res.status).toBe(200);
    expect(edge.sink.events()[0]!.context).toMatchObject({
      user_agent: 'Mozilla/5.0 Test',
      locale: 'de-DE',
      geo: { country: 'DE', region: 'Berlin', city: 'Berlin', timezone: 'Europe/Berlin' },
      page: { path: '/pricing' },
    });
    expect(edge.sink.events()[0]!.context.geo).not.toHaveProperty('colo');
  });

  it('keeps what the event says about its own user agent and locale', async () => {
    const edge = createTestEdge();
    await edge.app.fetch(
      request(
        { events: [nativeEvent({ context: { user_agent: 'SDK-UA', locale: 'fr-FR' } })] },
        { 'user-agent': 'Proxy/1.0', 'accept-language': 'en-US' },
      ),
    );
    expect(edge.sink.events()[0]!.context).toMatchObject({ user_agent: 'SDK-UA', locale: 'fr-FR' });
  });

  it('copes with cf being absent or partial (wrangler dev) and with a junk Accept-Language', async () => {
    const edge = createTestEdge();
    await edge.app.fetch(
      request(
        { events: [nativeEvent()] },
        { 'accept-language': '*;q=0.5, <script>' },
        { country: 'XX' },
      ),
    );
    await edge.app.fetch(request({ events: [nativeEvent()] }, {}));
    const [partial, none] = edge.sink.events();
    expect(partial!.context.geo).toEqual({ country: 'XX' });
    expect(partial!.context).not.toHaveProperty('locale');
    expect(none!.context).not.toHaveProperty('geo');
    expect(none!.context).not.toHaveProperty('user_agent');
  });
});
