import type { Context } from 'hono';
import type { EventContext } from '@pulse/contract';
import { geoOf } from './geo';

/** What the edge knows about a request, worked out once and applied to each of its events. */
export interface RequestFacts {
  customerId: string;
  /** The edge's clock when the request arrived: `received_at` of every event. */
  receivedAt: string;
  receivedMs: number;
  userAgent: string | undefined;
  locale: string | undefined;
  geo: EventContext['geo'] | undefined;
  /** Salted hash of the connecting IP, when it is known. */
  ipHash: string | undefined;
  /** Hashes an IP an event carries in `context.ip` (Segment server libraries send the user's). */
  hashIp(ip: string): Promise<string>;
}

/** Longest user agent kept (the contract's limit for `context.user_agent`). */
const MAX_USER_AGENT = 1024;
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

/** The default client IP: Cloudflare's header, else the first proxy hop. */
export function clientIpFromHeaders(c: Context): string | null {
  const cf = c.req.header('cf-connecting-ip');
  if (cf) return cf.trim();
  const forwarded = c.req.header('x-forwarded-for')?.split(',', 1)[0]?.trim();
  return forwarded || null;
}

/** Gathers the facts of a request; the raw IP is hashed here and goes no further. */
export async function readRequestFacts(
  c: Context,
  customerId: string,
  receivedMs: number,
  clientIp: string | null,
  hashIp: (ip: string, receivedAt: string) => Promise<string>,
): Promise<RequestFacts> {
  const receivedAt = new Date(receivedMs).toISOString();
  const hashes = new Map<string, Promise<string>>();
  const hashOnce = (ip: string) => {
    let hash = hashes.get(ip);
    if (!hash) hashes.set(ip, (hash = hashIp(ip, receivedAt)));
    return hash;
  };
  return {
    customerId,
    receivedAt,
    receivedMs,
    userAgent: c.req.header('user-agent')?.slice(0, MAX_USER_AGENT) || undefined,
    locale: preferredLanguage(c.req.header('accept-language')),
    geo: geoOf(c.req.raw),
    ipHash: clientIp ? await hashOnce(clientIp) : undefined,
    hashIp: hashOnce,
  };
}

/** The first tag of `Accept-Language` (`en-US,en;q=0.9` → `en-US`), if it is a real tag. */
function preferredLanguage(header: string | undefined): string | undefined {
  const first = header?.split(',', 1)[0]?.split(';', 1)[0]?.trim();
  return first && first.length <= 64 && LANGUAGE_TAG.test(first) ? first : undefined;
}
