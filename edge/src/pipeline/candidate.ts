import type { ErrorCode } from '@pulse/contract';

/**
 * One raw item of a request on its way to validation: an object in the shape of the
 * contract's ClientEvent (native events are their own candidate; Segment messages are mapped),
 * or the reason it cannot become one.
 */
export type Candidate =
  | {
      ok: true;
      event: unknown;
      /** This event's own `sent_at`, when its protocol carries one per message. */
      sentAt?: string;
      /** Contract field → the client's field name, so rejection reasons name what was sent. */
      fieldNames?: Readonly<Record<string, string>>;
    }
  | { ok: false; code: ErrorCode; message: string };
