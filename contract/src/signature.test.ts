import { describe, expect, it } from 'vitest';
import {
  hmacHex,
  signBody,
  signedBody,
  verifyBody,
  SIGNATURE_TOLERANCE_SECONDS,
} from './signature';

describe('batch signatures', () => {
  const secret = 'test-secret';
  const body = '{"events":[]}';
  const now = 1_760_000_000;

  it('verifies a signature made with the same secret and body', async () => {
    const header = await signBody(secret, body, now);
    expect(await verifyBody(secret, header, body, now + 1)).toEqual({ ok: true });
  });

  it('signs and encodes a body in one pass, as signBody signs it', async () => {
    const text = '{"events":[{"event_name":"café ☕ 𝄞"}]}';
    const { signature, bytes } = await signedBody(secret, text, now);
    expect(signature).toBe(await signBody(secret, text, now));
    expect(new TextDecoder().decode(bytes)).toBe(text);
    expect(bytes.byteLength).toBe(new TextEncoder().encode(text).byteLength);
    expect(await verifyBody(secret, signature, text, now)).toEqual({ ok: true });
  });

  it('refuses a forged body, another secret, a missing or malformed header', async () => {
    const header = await signBody(secret, body, now);
    expect(await verifyBody(secret, header, body + ' ', now)).toEqual({
      ok: false,
      code: 'bad_signature',
    });
    expect(await verifyBody('other', header, body, now)).toEqual({
      ok: false,
      code: 'bad_signature',
    });
    expect(await verifyBody(secret, null, body, now)).toEqual({
      ok: false,
      code: 'missing_signature',
    });
    expect(await verifyBody(secret, 'v1=abc', body, now)).toEqual({
      ok: false,
      code: 'malformed_signature',
    });
  });

  it('refuses a replay whose timestamp is outside the tolerance', async () => {
    const header = await signBody(secret, body, now);
    const later = now + SIGNATURE_TOLERANCE_SECONDS + 1;
    expect(await verifyBody(secret, header, body, later)).toEqual({
      ok: false,
      code: 'stale_signature',
    });
  });
});

describe('hmacHex', () => {
  it('matches the HMAC-SHA256 vector of RFC 4231, test case 2', async () => {
    expect(await hmacHex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});
