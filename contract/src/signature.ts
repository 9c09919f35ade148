/**
 * HMAC-SHA256 signatures for batches from the edge to backend ingest (docs/architecture.md).
 * Header: `X-Pulse-Signature: t=<unix seconds>,v1=<hex hmac of "<t>.<body>">`.
 * WebCrypto only, so the same code runs on Workers and on Node.
 */
export const SIGNATURE_HEADER = 'x-pulse-signature';

/** How far a signature's timestamp may be from the verifier's clock, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    keyCache.set(secret, key);
  }
  return key;
}

/** `text` as UTF-8; TextEncoder always returns a fresh, unshared ArrayBuffer. */
const utf8 = (text: string) => encoder.encode(text) as Uint8Array<ArrayBuffer>;

/** Lower-case hex HMAC-SHA256 of the UTF-8 bytes `message` under `secret`. */
async function hmacHexOfBytes(secret: string, message: Uint8Array<ArrayBuffer>): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), message);
  let hex = '';
  for (const byte of new Uint8Array(mac)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Lower-case hex HMAC-SHA256 of `message` under `secret` (WebCrypto; Workers and Node). */
export function hmacHex(secret: string, message: string): Promise<string> {
  return hmacHexOfBytes(secret, utf8(message));
}

/** The signature header value for `body`, made at `nowSeconds`. */
export async function signBody(
  secret: string,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  return (await signedBody(secret, body, nowSeconds)).signature;
}

/** A body ready to send: its UTF-8 bytes and its signature header value. */
export interface SignedBody {
  /** The `X-Pulse-Signature` header value, as `signBody` makes it. */
  signature: string;
  /** `body` as UTF-8, to send as it is. */
  bytes: Uint8Array<ArrayBuffer>;
}

/**
 * Signs `body` and encodes it for sending in one pass: the signed message is `<t>.<body>`, so
 * its UTF-8 encoding ends with the body's, and the bytes sent are a view of it. A batch of
 * tens of kilobytes is encoded once instead of twice (once to sign, once by `fetch`).
 *
 * @example
 * const { signature, bytes } = await signedBody(secret, JSON.stringify(batch));
 * await fetch(url, { method: 'POST', headers: { [SIGNATURE_HEADER]: signature }, body: bytes });
 */
export async function signedBody(
  secret: string,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignedBody> {
  const prefix = `${nowSeconds}.`; // ASCII: as many bytes as characters
  const message = utf8(prefix + body);
  return {
    signature: `t=${nowSeconds},v1=${await hmacHexOfBytes(secret, message)}`,
    bytes: message.subarray(prefix.length),
  };
}

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      code: 'missing_signature' | 'malformed_signature' | 'stale_signature' | 'bad_signature';
    };

/** Checks a signature header against `body`; a stale timestamp is refused as a replay. */
export async function verifyBody(
  secret: string,
  header: string | null | undefined,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
  if (!header) return { ok: false, code: 'missing_signature' };
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return { ok: false, code: 'malformed_signature' };
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS)
    return { ok: false, code: 'stale_signature' };
  const expected = await hmacHex(secret, `${t}.${body}`);
  return timingSafeEqual(expected, match[2] ?? '')
    ? { ok: true }
    : { ok: false, code: 'bad_signature' };
}

/** Equal strings, compared in time that does not depend on where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
