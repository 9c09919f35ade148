import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * Where a customer's webhook may not point: loopback, private, link-local (cloud metadata at
 * 169.254.169.254), shared, multicast, reserved and documentation ranges, IPv4 and IPv6.
 * A webhook URL is customer input; without this, a trigger could make Pulse POST into its
 * own network. (BlockList matches IPv4-mapped IPv6 addresses, `::ffff:127.0.0.1`, against
 * the IPv4 ranges.)
 */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127], // unspecified and loopback
  ['64:ff9b::', 96], // NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

/** True for an address a webhook may not reach (anything that is not a public IP). */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  if (family === 0) return true;
  return internal.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

const refusal = (host: string, address: string) =>
  new Error(
    `${host} is ${address}, an internal address: webhooks go to public addresses only ` +
      '(PULSE_WEBHOOKS_ALLOW_PRIVATE=1 allows others, for development)',
  );

/** The URL's host when it is an internal IP literal (IPv6 without its brackets), else null. */
function internalIpOf(url: URL): string | null {
  const bare = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) !== 0 && isInternalAddress(bare) ? bare : null;
}

/**
 * Why a webhook URL names an internal host outright (an internal IP, `localhost`), or null.
 * Names are resolved only when a webhook is sent (see `publicOnlyFetch`); this catches the
 * obvious cases when the trigger is written, so the customer hears at once.
 */
export function internalHostProblem(url: string): string | null {
  const parsed = new URL(url);
  const host = parsed.hostname.toLowerCase();
  const named = host === 'localhost' || host.endsWith('.localhost');
  if (!named && internalIpOf(parsed) === null) return null;
  return `${host} is an internal address: webhooks go to public addresses only`;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * `dns.lookup` that fails when the name resolves to any internal address. It runs when the
 * connection is made, so a name that resolved to a public address when checked and to an
 * internal one when used (DNS rebinding) is refused too.
 */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback) {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const bad = addresses.find((entry) => isInternalAddress(entry.address));
    if (bad) return callback(refusal(hostname, bad.address), []);
    if (options.all) return callback(null, addresses);
    const [first] = addresses;
    if (!first) return callback(new Error(`${hostname} has no address`), []);
    callback(null, first.address, first.family);
  });
}

/**
 * A `fetch` that reaches public addresses only: a URL naming an internal IP is refused before
 * any connection, and a host name is checked on every connection it opens. Redirects are the
 * caller's to refuse (webhooks do not follow them).
 */
export function publicOnlyFetch(): typeof fetch {
  const agent = new Agent({ connect: { lookup: publicOnlyLookup } });
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const ip = internalIpOf(url);
    if (ip !== null) throw refusal(url.hostname, ip);
    return undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    });
  }) as typeof fetch;
}
