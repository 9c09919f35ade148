import { describe, expect, it } from 'vitest';
import { createTestEdge } from '../../../test/support/test-app';
import { KEYS } from '../../../test/support/fixtures';
import { describeContentEncoding } from '../../../test/support/content-encoding-suite';
import {
  GZIP_BOMB_CODINGS,
  GZIP_BOMB_INFLATED_BYTES,
  gzipBomb,
} from '../../../test/support/gzip-bomb';

const edge = createTestEdge();

describeContentEncoding('the app in Node (app.request)', () => ({
  post: (path, body, headers) =>
    Promise.resolve(
      edge.app.request(`${path}${path.includes('?') ? '&' : '?'}key=${KEYS.open}`, {
        method: 'POST',
        headers,
        body,
        duplex: 'half',
      } as RequestInit),
    ),
  delivered: () => Promise.resolve(edge.sink.events().map((event) => event.event_id)),
}));

describe('the gzip bomb fixture', () => {
  it(`inflates to ${GZIP_BOMB_INFLATED_BYTES} bytes when both of its layers (${GZIP_BOMB_CODINGS}) are decoded`, async () => {
    const reader = new Blob([gzipBomb()])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'))
      .pipeThrough(new DecompressionStream('gzip'))
      .getReader();
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
    }
    expect(total).toBe(GZIP_BOMB_INFLATED_BYTES);
  }, 60_000);
});
