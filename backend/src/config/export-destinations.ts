import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { isCustomerId } from '@pulse/contract';
import { EXPORT_FORMATS, type ExportFormat } from '../warehouse/event-export';
import { fileStore, type FileStore } from '../warehouse/file-store';
import { ConfigError } from './env';

/** Where one customer's days are exported on schedule, and in which formats. */
export interface ExportDestination {
  to: FileStore;
  formats: readonly ExportFormat[];
}

/** Each customer's export destination, by customer id. */
export type ExportDestinations = ReadonlyMap<string, ExportDestination>;

const formats = z
  .array(z.enum(Object.keys(EXPORT_FORMATS) as [ExportFormat, ...ExportFormat[]]))
  .min(1)
  .default(['parquet', 'ndjson']);

const destinationSchema = z.union([
  z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    formats,
  }),
  z.strictObject({
    dir: z.string().refine(isAbsolute, 'an absolute directory'),
    formats,
  }),
]);

const fileSchema = z.record(
  z.string(),
  destinationSchema.refine(
    (d) => !('url' in d) || Boolean(d.accessKeyId) === Boolean(d.secretAccessKey),
    'accessKeyId and secretAccessKey go together',
  ),
);

/**
 * The customers' export destinations (`PULSE_EXPORT_DESTINATIONS`): a JSON file that maps a
 * customer id to its bucket (`url`, with `accessKeyId` and `secretAccessKey` unless the bucket
 * takes unsigned writes) or a directory (`dir`), and optionally `formats` (`parquet`, `ndjson`;
 * both by default). The operator keeps the file with the other secrets; the keys never leave
 * the backend. A file that does not parse stops the start with every problem named.
 *
 * @example
 * { "cust_a": { "url": "https://s3.eu-west-1.amazonaws.com/acme-analytics/pulse",
 *               "accessKeyId": "AKIA…", "secretAccessKey": "…", "formats": ["parquet"] } }
 */
export function readExportDestinations(path: string): ExportDestinations {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`PULSE_EXPORT_DESTINATIONS: cannot read ${path}: ${String(error)}`);
  }
  const parsed = fileSchema.safeParse(json);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  for (const customer of Object.keys(parsed.data ?? json ?? {})) {
    if (!isCustomerId(customer)) problems.push(`${customer}: not a customer id`);
  }
  if (!parsed.success || problems.length) {
    throw new ConfigError(`PULSE_EXPORT_DESTINATIONS (${path}): ${problems.join('; ')}`);
  }
  const destinations = new Map<string, ExportDestination>();
  for (const [customer, d] of Object.entries(parsed.data)) {
    const credentials =
      'url' in d && d.accessKeyId && d.secretAccessKey
        ? { accessKeyId: d.accessKeyId, secretAccessKey: d.secretAccessKey }
        : undefined;
    try {
      const to = 'url' in d ? fileStore(d.url, credentials) : fileStore(d.dir);
      destinations.set(customer, { to, formats: d.formats });
    } catch (error) {
      throw new ConfigError(`PULSE_EXPORT_DESTINATIONS (${path}): ${customer}: ${String(error)}`);
    }
  }
  return destinations;
}
