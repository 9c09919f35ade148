import { hmacHex } from '@pulse/contract';

/**
 * Hashes IPs with the salt of the day, so a visitor's hash is stable within a UTC day and
 * unlinkable across days, and the raw IP never leaves the edge (docs/architecture.md).
 */
export function createIpHasher(
  ipSalt: (day: string) => string | Promise<string>,
  /** Hashes kept for the day, by IP: a visitor sends many batches. @default 10_000 */
  maxCached = 10_000,
): (ip: string, receivedAt: string) => Promise<string> {
  let today:
    { day: string; salt: Promise<string>; hashes: Map<string, Promise<string>> } | undefined;
  return (ip, receivedAt) => {
    const day = receivedAt.slice(0, 10);
    // A new day drops yesterday's salt and every hash made with it.
    if (today?.day !== day) today = { day, salt: Promise.resolve(ipSalt(day)), hashes: new Map() };
    const { salt, hashes } = today;
    let hash = hashes.get(ip);
    if (hash === undefined) {
      if (hashes.size >= maxCached) hashes.delete(hashes.keys().next().value as string);
      hash = salt.then((secret) => hmacHex(secret, ip));
      hashes.set(ip, hash);
      void hash.catch(() => hashes.delete(ip));
    }
    return hash;
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
