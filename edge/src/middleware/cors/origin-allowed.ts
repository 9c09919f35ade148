/**
 * Whether `origin` is on an allow-list of exact origins, `scheme://*.domain` patterns (any
 * subdomain, not the domain itself) or `*`.
 */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  for (const entry of allowed) {
    if (entry === '*' || entry === origin) return true;
    const star = entry.indexOf('://*.');
    if (star !== -1) {
      const scheme = entry.slice(0, star + 3);
      const suffix = entry.slice(star + 4); // ".example.com[:port]"
      if (
        origin.startsWith(scheme) &&
        origin.endsWith(suffix) &&
        origin.length > scheme.length + suffix.length &&
        !origin.slice(scheme.length, origin.length - suffix.length).includes('/')
      ) {
        return true;
      }
    }
  }
  return false;
}
