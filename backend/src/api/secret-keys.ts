/**
 * Secret API keys (`sk_…`): each belongs to one customer, and the customer of every API call is
 * taken from its key, never from arguments, so a key of customer A can never read B.
 */
export interface SecretKeys {
  /** The customer a key belongs to, or null for an unknown key. */
  customerFor(key: string): string | null;
}

/** Keys from a `{ "sk_…": "cust_…" }` map (PULSE_API_KEYS, or the dev seed). */
export function secretKeysFrom(map: Record<string, string>): SecretKeys {
  const keys = new Map(Object.entries(map));
  return { customerFor: (key) => keys.get(key) ?? null };
}

/** The key of a request: `Authorization: Bearer sk_…` (or Basic `sk_…:` as Segment's API takes). */
export function secretKeyOf(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const [scheme, value = ''] = authorization.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value.trim() || null;
  if (scheme?.toLowerCase() === 'basic') {
    try {
      return atob(value).split(':')[0] || null;
    } catch {
      return null;
    }
  }
  return null;
}
