import { LIMITS } from './limits';

/**
 * What an id may look like (docs/architecture.md, "Trust"): ids are opaque strings, but no id,
 * however shaped, may address another key in any store. Every store encodes the id parts of
 * its keys (see each store's key module); the contract only keeps out what no client needs.
 */

/**
 * Customer ids come from key configuration, never from a request. They appear in state keys
 * and Kafka keys, so they are restricted to a charset with no glob or separator meaning
 * (`*`, `?`, `[`, `:`, `{`, `}` and whitespace are kept out).
 */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** C0 and C1 control characters (NUL, newline, DEL, …): refused in every id a client sends. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether `value` has a control character (see CONTROL_CHARACTER). */
export const hasControlCharacter = (value: string): boolean => CONTROL_CHARACTER.test(value);

/**
 * A lone UTF-16 surrogate (half of a pair, sent as a `\ud800` JSON escape). It has no UTF-8
 * form: every store would write it as U+FFFD, so two different ids would become one. Refused
 * in ids and event names; inside `properties` it survives, escaped in the stored JSON.
 */
export const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `value` has a lone surrogate (see LONE_SURROGATE). */
export const hasLoneSurrogate = (value: string): boolean => LONE_SURROGATE.test(value);

/**
 * Whether `value` is an id a client may send (visitor, user, session, event ids): 1 to `max`
 * characters, no control character, no lone surrogate.
 */
export const isOpaqueId = (value: unknown, max: number = LIMITS.maxIdLength): value is string =>
  typeof value === 'string' &&
  value.length >= 1 &&
  value.length <= max &&
  !hasControlCharacter(value) &&
  !hasLoneSurrogate(value);

/** Whether `value` is a valid customer id (see CUSTOMER_ID_PATTERN). */
export const isCustomerId = (value: unknown): value is string =>
  typeof value == 'string' && CUSTOMER_ID_PATTERN.test(value);
