import { hmacHex, timingSafeEqual } from './signature';

/**
 * Identity verification for the public write key (docs/architecture.md, "Trust"; the model of
 * Intercom's identity verification). A page may ask decide about an identified user only with
 * `user_hash`: the lowercase hex HMAC-SHA256 of the user id under the customer's identity
 * secret, made by the customer's server after it authenticated the user, never in a browser.
 *
 * @example
 * // On the customer's server, at login:
 * const userHash = await userHashOf(process.env.PULSE_IDENTITY_SECRET, user.id);
 * // In the page: pulse.identify(user.id, { email }, { userHash });
 */
export function userHashOf(identitySecret: string, userId: string): Promise<string> {
  return hmacHex(identitySecret, userId);
}

/** Whether `userHash` proves `userId` under `identitySecret` (constant-time). */
export async function verifyUserHash(
  identitySecret: string,
  userId: string,
  userHash: string,
): Promise<boolean> {
  return timingSafeEqual(await userHashOf(identitySecret, userId), userHash.toLowerCase());
}
