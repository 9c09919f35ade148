import { hmacHex } from '@pulse/contract';

/**
 * Hashes IPs with the salt of the day, so a visitor's hash is stable within a UTC day and
 * unlinkable across days, and the raw IP never leaves the edge (shared/DESIGN.md).
 */
export function createIpHasher(
  ipSalt: (day: string) => string | Promise<string>,
): (ip: string, receivedAt: string) => Promise<string> {
  let salted: { day: string; salt: Promise<string> } | undefined;
  return async (ip, receivedAt) => {
    const day = receivedAt.slice(0, 10);
    if (salted?.day !== day) salted = { day, salt: Promise.resolve(ipSalt(day)) };
    return hmacHex(await salted.salt, ip);
  };
}

/**
 * A daily salt derived from one long-lived secret: HMAC(secret, day). Every edge instance
 * with the secret agrees on the day's salt without sharing state, and a leaked salt of one
 * day says nothing about the others.
 */
export function createDailySalt(secret: string): (day: string) => Promise<string> {
  return (day) => hmacHex(secret, `pulse-ip-salt:${day}`);
}
