/**
 * W3C Trace Context (`traceparent`): one trace id follows a batch from the edge through ingest,
 * the Kafka records' headers and the processor's logs (docs/architecture.md, "Operations").
 * Version 00 only: `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`.
 */
export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

const hex = (bytes: number) => {
  const random = crypto.getRandomValues(new Uint8Array(bytes));
  let text = '';
  for (const byte of random) text += byte.toString(16).padStart(2, '0');
  return text;
};

/**
 * The `traceparent` of a new span: a child of `parent` (same trace id and flags) when `parent`
 * is a valid traceparent, else the root of a new, sampled trace. A client controls the header,
 * so anything else it sends is ignored rather than carried on.
 */
export function childTraceparent(parent: string | null | undefined): string {
  const valid = parent && TRACEPARENT_PATTERN.test(parent) ? parent : null;
  const traceId = valid ? valid.slice(3, 35) : hex(16);
  const flags = valid ? valid.slice(53, 55) : '01';
  return `00-${traceId}-${hex(8)}-${flags}`;
}

/** The trace id of a valid traceparent, else null. */
export function traceIdOf(traceparent: string | null | undefined): string | null {
  return traceparent && TRACEPARENT_PATTERN.test(traceparent) ? traceparent.slice(3, 35) : null;
}
