/** ISO 8601 date-time with a zone, as Segment libraries write `sentAt` and `timestamp`. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * `value` as a normalised ISO string when it is a valid ISO 8601 time, else undefined. Only
 * used for `sentAt`, which serves the skew correction alone: a bad one is ignored rather than
 * costing the message.
 */
export function isoTimeOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string' || !ISO_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
