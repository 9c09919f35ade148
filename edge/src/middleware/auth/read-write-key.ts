import { EdgeError } from '../../errors/edge-error';

/** Longest write key looked up; anything longer is refused without touching the store. */
const MAX_KEY_LENGTH = 200;
/** Write keys are printable ASCII; anything else is refused before a store lookup (KV limits key bytes). */
const KEY_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * The write key of a request, from the first of: `Authorization: Basic base64(key:)` (Segment's
 * HTTP API), `X-Pulse-Key`, `?key=` (beacons cannot set headers), or `writeKey` in the body
 * (Segment's body auth). Other `Authorization` schemes (Segment's OAuth bearer tokens) are
 * skipped, since their requests carry the write key in the body.
 */
export function readWriteKey(request: Request, url: URL, body: unknown): string {
  const key =
    fromBasic(request.headers.get('authorization')) ??
    nonEmpty(request.headers.get('x-pulse-key')) ??
    nonEmpty(url.searchParams.get('key')) ??
    fromBody(body);
  if (key === undefined) {
    throw new EdgeError(
      'missing_key',
      'no write key: send Authorization: Basic base64(key:), X-Pulse-Key, ?key= or writeKey',
    );
  }
  if (key.length > MAX_KEY_LENGTH || !KEY_CHARACTERS.test(key)) {
    throw new EdgeError('invalid_key', 'write key is not valid');
  }
  return key;
}

function fromBasic(header: string | null): string | undefined {
  if (!header) return undefined;
  const [scheme, credentials] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  let decoded: string;
  try {
    decoded = atob(credentials ?? '');
  } catch {
    throw new EdgeError('invalid_key', 'Authorization Basic credentials are not valid base64');
  }
  // Segment: the key is the user name and the password is empty; a missing colon is tolerated.
  const colon = decoded.indexOf(':');
  return nonEmpty(colon === -1 ? decoded : decoded.slice(0, colon));
}

function fromBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const key = (body as { writeKey?: unknown }).writeKey;
  return typeof key === 'string' ? nonEmpty(key) : undefined;
}

function nonEmpty(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
