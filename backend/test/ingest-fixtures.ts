import { expect } from 'vitest';
import { SIGNATURE_HEADER, signBody, type SinkBatch } from '@pulse/contract';

/** Posts `batch` to backend ingest as the edge does (signed with `secret`); expects a 200. */
export async function postIngest(url: string, secret: string, batch: SinkBatch): Promise<void> {
  const body = JSON.stringify(batch);
  const res = await fetch(`${url}/internal/ingest`, {
    method: 'POST',
    body,
    headers: { [SIGNATURE_HEADER]: await signBody(secret, body) },
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Polls `read` until `done` holds; fails naming `what` and the last value after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}
