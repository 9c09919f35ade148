import { utf8Bytes } from './safe-json';

/** A queued event: its event_id (a UUIDv7, so ids sort by time) and its JSON. */
export type Entry = [id: string, json: string];

/** The oldest entries that fit one request: at most `maxEvents` and about `maxBytes`. */
export const takeBatch = (entries: Entry[], maxEvents: number, maxBytes: number): Entry[] => {
  const out: Entry[] = [];
  let bytes = 64;
  for (const e of entries) {
    bytes += utf8Bytes(e[1]) + 1;
    if (out.length && (out.length >= maxEvents || bytes > maxBytes)) break;
    out.push(e);
  }
  return out;
};

/** The native batch body (contract EventBatch) from already-serialised events. */
export const batchBody = (entries: Entry[], sentAt: string, dropped: number): string =>
  `{"sent_at":"${sentAt}",${dropped ? `"dropped":${dropped},` : ''}"events":[${entries.map((e) => e[1]).join(',')}]}`;
