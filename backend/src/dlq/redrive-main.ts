/**
 * Re-drives quarantined events after their cause is fixed:
 *   KAFKA_BROKERS=host:port node --import tsx backend/src/dlq/redrive-main.ts
 *     reads pulse.dlq up to its current end and sends each quarantined event to its topic;
 *   INGEST_URL=http://127.0.0.1:8788/internal/ingest INGEST_SECRET=… PULSE_DATA_DIR=.pulse \
 *     node --import tsx backend/src/dlq/redrive-main.ts
 *     (embedded) posts the quarantined events of `.pulse/dead-letters.ndjson` to the running
 *     backend's ingest, signed like the edge's batches.
 * Prints one JSON line `{"redriven":n,"skipped":n}`. Idempotent: events count once however
 * often it runs.
 */
import { join } from 'node:path';
import { signBody, SIGNATURE_HEADER } from '@pulse/contract';
import { createFileLogSink } from '../sinks/file-log-sink';
import { quarantinedBatches, redriveFromKafka, type RedriveResult } from './redrive';

const env = process.env;
let result: RedriveResult;
if (env.KAFKA_BROKERS) {
  result = await redriveFromKafka({ brokers: env.KAFKA_BROKERS.split(',') });
} else {
  const { INGEST_URL: url, INGEST_SECRET: secret } = env;
  if (!url || !secret) {
    console.error('set KAFKA_BROKERS, or INGEST_URL and INGEST_SECRET of the embedded backend');
    process.exit(2);
  }
  const log = createFileLogSink(join(env.PULSE_DATA_DIR ?? '.pulse', 'dead-letters.ndjson'));
  const { batches, skipped } = quarantinedBatches(await log.read());
  await log.close();
  let redriven = 0;
  for (const batch of batches) {
    const body = JSON.stringify(batch);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: await signBody(secret, body),
      },
      body,
    });
    if (!response.ok) {
      console.error(`ingest answered ${response.status}: ${await response.text()}`);
      process.exit(1);
    }
    redriven += batch.events.length;
  }
  result = { redriven, skipped };
}
console.log(JSON.stringify(result));
