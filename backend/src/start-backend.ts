import { join, resolve } from 'node:path';
import type { DeadLetter, ProfileDeletion, Sink } from '@pulse/contract';
import { createApiApp } from './api/api-app';
import { finishSegmentWrite, finishSegmentWrites } from './api/segments/segment-writes';
import { createProcessingHandoff } from './api/processing-handoff';
import { deleteProfile } from './api/profiles/delete-profile';
import { repeatWithBackoff } from './ops/repeat-with-backoff';
import { oneAtATime } from './api/segments/one-at-a-time';
import { openSubscriptions } from './api/graphql/live-subscriptions';
import { createLiveFeed, type LiveFeed } from './api/live-feed';
import { secretKeysFrom } from './api/secret-keys';
import { startWebhookDispatcher } from './triggers/webhook-dispatcher';
import { startIngest, type IngestServer } from './ingest/ingest-server';
import { SINGLE_BROKER_TOPICS, setUpTopics, type TopicSettings } from './kafka/topics';
import { createBackendMetrics, type BackendMetrics } from './metrics/backend-metrics';
import { measuredSink, measuredWarehouse } from './metrics/instrument';
import { createTracing, tracedSink } from './tracing/tracing';
import { log, logError } from './log';
import { kafkaReadiness } from './ops/kafka-readiness';
import { startOpsServer, type OpsServer, type ReadinessCheck } from './ops/ops-server';
import { createProcessor, type ProcessedBatch, type Processor } from './processor/processor';
import { createKafkaPublisher } from './processor/kafka-publisher';
import {
  reportQuarantine,
  startKafkaProcessor,
  type KafkaProcessor,
} from './processor/kafka-processor';
import { parkedOutboxLetters } from './processor/quarantine';
import { createFileLogSink } from './sinks/file-log-sink';
import { createKafkaSink, type KafkaSink } from './sinks/kafka-sink';
import { createProcessorSink } from './sinks/processor-sink';
import { openEmbeddedStore } from './state/embedded-store';
import { createRedisStore, type RedisTarget } from './state/redis-store';
import {
  LeaseLostError,
  startProcessorLease,
  type ProcessorLease,
} from './processor/processor-lease';
import type { StateStore } from './state/state-store';
import { runReconciliation } from './ops/reconcile-job';
import { kafkaWitness, startWitness, type Witness } from './kafka/witness';
import { startFlinkLoader, type FlinkLoader } from './flink/flink-loader';
import { createFlinkDefinitions, DEFINITION_TIMEOUT_MS } from './flink/flink-definitions';
import { createWarehouse } from './warehouse/create-warehouse';
import type { Warehouse } from './warehouse/warehouse';
import { fileStore, type FileStore } from './warehouse/file-store';
import type { ExportDestinations } from './config/export-destinations';
import { runExports } from './ops/export-job';

export interface BackendConfig {
  /** Where the embedded pieces keep their data (`.pulse/`). */
  dataDir: string;
  /** HTTP port of ingest (0 picks a free one). */
  port: number;
  ingestSecret: string;
  /** Kafka brokers: ingest produces to Kafka and the processor consumes; embedded when absent. */
  kafkaBrokers?: string[];
  /** Redis for identity and segment state; the embedded store when absent. */
  redisUrl?: string;
  /** `host:port` of Redis Cluster nodes (ElastiCache in cluster mode); wins over `redisUrl`. */
  redisClusterNodes?: string[];
  /** A ClickHouse server; chdb under `dataDir` when absent. */
  clickhouseUrl?: string;
  /**
   * Which engine does the processing: `ts`, the TypeScript processor in this process, or
   * `flink`, the Flink job (backend/flink/, started on its own) whose outputs this process
   * loads into the state store and the warehouse (flink/flink-loader.ts). `flink` needs
   * Kafka. @default 'ts'
   */
  engine?: 'ts' | 'flink';
  /** Which parts run in this process. @default both */
  roles?: { ingest?: boolean; processor?: boolean };
  /** How often the wall clock ticks the processor (ms); 0 turns it off. @default 1000 */
  tickMs?: number;
  /**
   * How missing Kafka topics are created. @default SINGLE_BROKER_TOPICS (a local broker);
   * a production process passes `topicSettingsFromEnv(process.env)` (RF 3, min.insync 2).
   */
  topics?: TopicSettings;
  /** Kafka consumer group of the processor (of the loader with the Flink engine). */
  groupId?: string;
  /** Kafka consumer session timeout (ms). @default 30000 */
  sessionTimeoutMs?: number;
  /**
   * The TS processor's lease in Redis (processor-lease.ts): a second processor of the group
   * waits as a standby and takes over this long after the leader stops renewing it (ms).
   * @default PROCESSOR_LEASE_MS
   */
  processorLeaseMs?: number;
  /** Warehouse TTLs; off only for tests that replay old timestamps. @default true */
  ttl?: boolean;
  /** Errors no caller awaits (the clock's ticks). @default an error line in the log (log.ts) */
  onError?: (what: string, error: unknown) => void;
  /**
   * Called once a batch is committed and its changes are in the warehouse and published; a
   * crash before that makes it be called again (at least once, like `pulse.segments`).
   */
  onPublished?: (batch: ProcessedBatch) => void;
  /** Called after each processed batch is durable. */
  onBatch?: (batch: ProcessedBatch) => void;
  /**
   * A record or event was quarantined (Kafka: to `pulse.dlq`; embedded: to the dead-letter
   * log) because it cannot be processed. @default a log line on stderr
   */
  onQuarantine?: (letter: DeadLetter) => void;
  /**
   * Lets trigger webhooks reach loopback and private addresses (a local receiver in
   * development and tests). @default false: public addresses only
   */
  allowPrivateWebhooks?: boolean;
  /** Secret API keys → customer (`{ "sk_…": "cust_…" }`) of the query APIs. */
  apiKeys?: Record<string, string>;
  /**
   * The Kafka consumer stopped for good (kafkajs gave up restarting it): nothing more is
   * processed. The process should exit so that its supervisor starts it again.
   */
  onFatal?: (error: Error) => void;
  /**
   * Port of the operations server (`/healthz`, `/readyz`, `/metrics`; ops-server.ts), 0 for a
   * free one. @default none: no operations server
   */
  opsPort?: number;
  /** Address the operations server binds. @default 127.0.0.1 */
  opsHostname?: string;
  /**
   * Where the cold tier's files go (hourly Parquet files of every event,
   * warehouse/event-archive.ts): a directory (chdb only) or a bucket (warehouse/file-store.ts).
   * Queries answer ranges older than the warm tier from it; null for none.
   * @default `<dataDir>/archive` with chdb and the TTL on (without a TTL the warehouse keeps
   *   everything), else none
   */
  archive?: FileStore | null;
  /** How often the archiver runs (ms); 0 for never (call `warehouse.archive()`). @default 60000 */
  archiveEveryMs?: number;
  /**
   * How often the reconciliation of the last day's hours runs (ms, ops/reconcile-job.ts); 0 for
   * never. Only with an archive. @default 3600000
   */
  reconcileEveryMs?: number;
  /** The operator's webhook a reconciliation alert is POSTed to. @default none */
  alertWebhook?: string;
  /** The directory or bucket `POST /v1/exports` writes customers' days under. @default none */
  exportTo?: FileStore;
  /**
   * Customers' own export destinations (config/export-destinations.ts): each closed day is
   * written there on schedule, and `POST /v1/exports` writes there too. @default none
   */
  exportDestinations?: ExportDestinations;
  /** How often the scheduled exports run (ms, ops/export-job.ts); 0 for never. @default 3600000 */
  exportEveryMs?: number;
  /**
   * With the Flink engine: how long a segment write waits for each step of the job before it
   * answers 503 (flink/flink-definitions.ts). @default DEFINITION_TIMEOUT_MS (60 s)
   */
  definitionTimeoutMs?: number;
  /**
   * In a process that does not process (ingest only, or a standby): how long a segment write or
   * a profile deletion waits for the process that does before it answers 503
   * (api/processing-handoff.ts). @default HANDOFF_TIMEOUT_MS (60 s)
   */
  handoffTimeoutMs?: number;
  /**
   * How often the segment writes left unfinished (a backend stopped or failed mid-backfill, or
   * the Flink job was down) are done again, history included (api/segments/segment-writes.ts),
   * by the backend that runs the processor or the Flink loader; the first try is at start.
   * After a failed try the wait doubles, up to 20 times this (ops/repeat-with-backoff.ts). 0
   * for never. @default 30000
   */
  finishSegmentWritesEveryMs?: number;
  /** OTLP/HTTP collector the spans go to (tracing/tracing.ts). @default none: no spans */
  otlpEndpoint?: string;
}

export interface BackendStatus {
  processor: ReturnType<Processor['status']>;
  /** The processor's Kafka consumer, or with the Flink engine its loader. */
  consumer?: ReturnType<KafkaProcessor['status']>;
}

export interface Backend {
  /** Processed batches as they become durable (live dashboards, triggers). */
  live: LiveFeed;
  /** Base URL of ingest, or null when this process does not run it. */
  url: string | null;
  /** Base URL of the operations server, or null without `opsPort`. */
  opsUrl: string | null;
  metrics: BackendMetrics;
  warehouse: Warehouse;
  store: StateStore;
  processor: Processor;
  /** What the processor and its consumer are doing (health checks, a stuck step). */
  status(): BackendStatus;
  stop(): Promise<void>;
}

/**
 * The backend in one process: ingest, the processor, the warehouse and the state store, each
 * embedded or external as the config says (docs/architecture.md, "Two ways to run the same code").
 */
export async function startBackend(config: BackendConfig): Promise<Backend> {
  const roles = { ingest: true, processor: true, ...config.roles };
  const metrics = createBackendMetrics();
  const tracing = createTracing({ endpoint: config.otlpEndpoint, serviceName: 'pulse-backend' });
  const ttl = config.ttl ?? true;
  const archive =
    config.archive === undefined
      ? !config.clickhouseUrl && ttl
        ? fileStore(resolve(config.dataDir, 'archive'))
        : undefined
      : (config.archive ?? undefined);
  const warehouse = measuredWarehouse(
    await createWarehouse({
      url: config.clickhouseUrl,
      path: join(config.dataDir, 'warehouse'),
      ttl,
      archive,
    }),
    metrics,
  );
  const clusterNodes = config.redisClusterNodes?.filter(Boolean) ?? [];
  const redisTarget: RedisTarget | undefined = clusterNodes.length
    ? { cluster: clusterNodes }
    : config.redisUrl;
  const store = redisTarget
    ? createRedisStore(redisTarget)
    : openEmbeddedStore(join(config.dataDir, 'state'));
  const live = createLiveFeed();
  metrics.countSubscribers(() => openSubscriptions(live));
  // Trigger webhooks follow the processed changes (segment enter/exit) of this process.
  const webhooks = roles.processor
    ? startWebhookDispatcher({
        store,
        live,
        onError: config.onError,
        allowPrivateNetworks: config.allowPrivateWebhooks,
        onAttempt: (outcome) => metrics.webhookAttempt(outcome),
      })
    : undefined;
  const brokers = config.kafkaBrokers?.filter(Boolean) ?? [];
  const engine = config.engine ?? 'ts';
  if (engine === 'flink' && !brokers.length) {
    throw new Error('the Flink engine reads and writes Kafka: set KAFKA_BROKERS');
  }
  const publisher = brokers.length ? createKafkaPublisher(brokers) : undefined;
  /** The TS processor's current lease, when processors of its group take turns. */
  let leading: ProcessorLease | undefined;
  const processor = createProcessor({
    store,
    warehouse,
    // Live listeners (dashboards, triggers) hear a batch once it is committed and its changes
    // are in the warehouse and published; after a crash the outbox replays them (at least once).
    publish: async (batch) => {
      await publisher?.publish(batch);
      live.publish(batch);
      // Webhook deliveries are in their log before the outbox entry is cleared.
      await webhooks?.recorded();
      config.onPublished?.(batch);
    },
    onBatch: (batch) => {
      metrics.committed(batch, Date.now());
      config.onBatch?.(batch);
    },
    // An outbox entry refused every time goes to the dead letters (pulse.dlq, or the log).
    park: async (entry, error) => {
      (config.onError ?? logError)(`processor: parked outbox entry ${entry.id}`, error);
      for (const letters of parkedOutboxLetters(entry, error)) await deadLetters.write(letters);
      metrics.parked();
    },
    // With a lease, nothing changes the state while another process may lead: not a batch of
    // the consumer, a tick, nor a slice of a backfill (a lease lost in the middle of one).
    fence: () => {
      if (leading && !leading.held())
        throw new LeaseLostError(`processor lease not held (${leading.state()}): not processed`);
    },
  });
  let consumer: KafkaProcessor | FlinkLoader | undefined;
  // The Flink job keeps segment definitions in its own state: the API hands them to it.
  const definitionTimeoutMs = config.definitionTimeoutMs ?? DEFINITION_TIMEOUT_MS;
  const engineDefinitions =
    engine === 'flink'
      ? createFlinkDefinitions({
          send: (record) => publisher!.publishDefinition(record),
          eventsLoaded: async () => {
            if (!consumer || !('eventsLoaded' in consumer))
              throw new Error('the Flink loader is not running in this process');
            await consumer.eventsLoaded(definitionTimeoutMs);
          },
          warehouse,
          now: Date.now,
          timeoutMs: definitionTimeoutMs,
        })
      : undefined;
  const segmentWrites = oneAtATime();
  const processorGroup =
    config.groupId ?? (engine === 'flink' ? 'pulse-flink-loader' : 'pulse-processor');
  // Processes that share the engine's state (Redis, Kafka) hand segment writes and profile
  // deletions to the one that processes: the TS processor holding the lease, or a Flink loader.
  const handoff =
    redisTarget && brokers.length
      ? createProcessingHandoff({
          redis: redisTarget,
          groupId: processorGroup,
          here: () => roles.processor && (engine === 'flink' || leading?.held() === true),
          timeoutMs: config.handoffTimeoutMs,
          onError: config.onError,
        })
      : undefined;
  // The Flink job keeps each profile's state itself: a deleted profile must leave it too.
  const announceDeletion =
    engine === 'flink'
      ? (deletion: ProfileDeletion) => publisher!.publishDeletion(deletion)
      : undefined;
  const api = createApiApp({
    warehouse,
    store,
    processor,
    live,
    keys: secretKeysFrom(config.apiKeys ?? {}),
    ingestSecret: config.ingestSecret,
    allowPrivateWebhooks: config.allowPrivateWebhooks,
    now: Date.now,
    metrics,
    exportTo: config.exportTo,
    exportDestinations: config.exportDestinations,
    announceDeletion,
    engineDefinitions,
    segmentWrites,
    handoff,
  });

  let kafkaSink: KafkaSink | undefined;
  let ingest: IngestServer | undefined;
  let sink: Sink;
  let deadLetters: Sink;
  if (brokers.length) {
    await setUpTopics(brokers, config.topics ?? SINGLE_BROKER_TOPICS);
    kafkaSink = createKafkaSink({ brokers });
    sink = deadLetters = kafkaSink;
    if (roles.processor && engine === 'flink') {
      consumer = await startFlinkLoader({
        brokers,
        store,
        warehouse,
        groupId: config.groupId,
        // As the processor's publish: live listeners, then trigger deliveries in their log,
        // all before the offsets move on.
        publish: async (batch) => {
          live.publish(batch);
          await webhooks?.recorded();
          metrics.committed(batch, Date.now());
          config.onBatch?.(batch);
          config.onPublished?.(batch);
        },
        onDefinitionApplied: (ack) => engineDefinitions?.applied(ack),
        onCrash: (error, restarting) => {
          (config.onError ?? logError)(
            `flink loader crashed${restarting ? ', restarting' : ''}`,
            error,
          );
          if (!restarting) config.onFatal?.(error);
        },
      });
    } else if (roles.processor) {
      // With Redis, processors of one group take turns: one leads, the others wait. (An
      // embedded store is one process's own: a second process cannot share it at all.)
      const groupId = processorGroup;
      const leaseMs = config.processorLeaseMs;
      const lease = redisTarget
        ? () => {
            leading = startProcessorLease({
              redis: redisTarget,
              groupId,
              leaseMs,
              onLost: (error) => (config.onError ?? logError)('processor: back to standby', error),
            });
            return leading;
          }
        : undefined;
      consumer = await startKafkaProcessor({
        brokers,
        tracing,
        processor,
        lease,
        groupId: config.groupId,
        sessionTimeoutMs: config.sessionTimeoutMs,
        onQuarantine: (letter) => {
          metrics.quarantined(letter);
          (config.onQuarantine ?? reportQuarantine)(letter);
        },
        onLag: (topic, partition, lag) => metrics.consumerLag(topic, partition, lag),
        onCrash: (error, restarting) => {
          (config.onError ?? logError)(
            `kafka consumer crashed${restarting ? ', restarting' : ''}`,
            error,
          );
          if (!restarting) config.onFatal?.(error);
        },
      });
    }
  } else {
    deadLetters = createFileLogSink(join(config.dataDir, 'dead-letters.ndjson'));
    sink = createProcessorSink(processor, deadLetters, {
      onQuarantine: (letter) => {
        metrics.quarantined(letter);
        if (config.onQuarantine) config.onQuarantine(letter);
        else
          log.warn(
            { customer: letter.customer_id, event_id: letter.event_id, code: letter.code },
            `processor: quarantined ${letter.customer_id}/${letter.event_id} to the dead letters: ${letter.message}`,
          );
      },
    });
  }
  if (roles.ingest)
    ingest = await startIngest({
      port: config.port,
      secret: config.ingestSecret,
      sink: tracedSink(measuredSink(sink, metrics), tracing),
      routes: api,
      // 503s and unexpected failures of any route are logged, with the reason.
      onSinkError: (error) =>
        (config.onError ?? logError)('ingest or an API request failed', error),
    });

  // The TS processor processes here: always without a lease, else while it holds one.
  if (roles.processor && engine === 'ts') metrics.leadsProcessing(() => leading?.held() ?? true);

  const tickMs = config.tickMs ?? 1000;
  const ticker =
    // The Flink job ticks its own clock.
    roles.processor && engine === 'ts' && tickMs > 0
      ? setInterval(() => {
          // A standby's clock does not move anyone's state: the leader's does.
          if (leading && !leading.held()) return;
          processor.tick(Date.now()).catch((error: unknown) => {
            (config.onError ?? logError)('processor tick failed', error);
          });
        }, tickMs)
      : undefined;

  const archiveEveryMs = config.archiveEveryMs ?? 60_000;
  const archiver =
    roles.processor && archive && archiveEveryMs > 0
      ? setInterval(() => {
          warehouse.archive(Date.now()).catch((error: unknown) => {
            (config.onError ?? logError)('archiver run failed', error);
          });
        }, archiveEveryMs)
      : undefined;

  const reconcileEveryMs = config.reconcileEveryMs ?? 3_600_000;
  const reconciling = Boolean(roles.processor && archive && reconcileEveryMs > 0);
  // Kafka is the reconciliation's witness: its own consumer group records what the topics hold.
  const witness: Witness | undefined =
    reconciling && brokers.length
      ? await startWitness({
          brokers,
          warehouse,
          groupId: `${processorGroup}.witness`,
          onError: config.onError,
        })
      : undefined;
  const kafka = brokers.length ? kafkaWitness(brokers, processorGroup) : undefined;
  const reconciler = reconciling
    ? setInterval(() => {
        runReconciliation({ warehouse, metrics, alertWebhook: config.alertWebhook, kafka }).catch(
          (error: unknown) => (config.onError ?? logError)('reconciliation failed', error),
        );
      }, reconcileEveryMs)
    : undefined;

  const exportEveryMs = config.exportEveryMs ?? 3_600_000;
  const destinations = config.exportDestinations;
  const exporter =
    roles.processor && destinations?.size && exportEveryMs > 0
      ? setInterval(() => {
          runExports({ warehouse, destinations, metrics }).catch((error: unknown) =>
            (config.onError ?? logError)('scheduled export failed', error),
          );
        }, exportEveryMs)
      : undefined;

  // Unfinished segment writes are finished here, where the processor or the Flink loader runs
  // (a write with the Flink engine waits for the loader): at start, then every
  // finishSegmentWritesEveryMs, and less often while a run keeps failing (the job is down): up
  // to 20 times that.
  const finishWritesEveryMs = config.finishSegmentWritesEveryMs ?? 30_000;
  /** The context of the work done here: never handed over again. */
  const workHere = {
    store,
    warehouse,
    processor,
    now: Date.now,
    engineDefinitions,
    announceDeletion,
  };
  // What processes that do not process hand over, while this one does.
  if (roles.processor)
    handoff?.serve((request, fromHere) => {
      if (request.kind === 'profile-delete')
        return deleteProfile(workHere, request.customer, request.id);
      const finish = () => finishSegmentWrite(workHere, request.customer, request.id, request.only);
      // In the customer's queue, unless this process's API asked: its call holds that queue.
      return fromHere ? finish() : segmentWrites(request.customer, finish);
    });
  const writeFinisher =
    roles.processor && finishWritesEveryMs > 0
      ? repeatWithBackoff(
          async () => {
            // A standby leaves them to the leader.
            if (handoff && !handoff.here()) return;
            const finished = await finishSegmentWrites(workHere, segmentWrites);
            if (finished.length) log.info({ finished }, 'finished unfinished segment writes');
          },
          {
            everyMs: finishWritesEveryMs,
            maxMs: 20 * finishWritesEveryMs,
            onError: (error) =>
              (config.onError ?? logError)(
                'unfinished segment writes wait for the next try',
                error,
              ),
          },
        )
      : undefined;

  // Readiness: every dependency this process uses answers, and its consumer holds partitions.
  const kafkaCheck = brokers.length ? kafkaReadiness(brokers) : undefined;
  const checks: Record<string, ReadinessCheck> = {
    warehouse: () => warehouse.query('SELECT 1'),
    state: () => store.ping(),
  };
  if (kafkaCheck) checks.kafka = kafkaCheck.check;
  if (consumer) {
    const joined = consumer;
    // A standby processor is ready: it is doing its job, which is to wait (and its ingest,
    // when it has one, must keep taking traffic).
    checks.consumer = () =>
      joined.status().joined || joined.status().standby
        ? Promise.resolve()
        : Promise.reject(new Error('not in the consumer group (joining or rebalancing)'));
  }
  const ops: OpsServer | undefined =
    config.opsPort === undefined
      ? undefined
      : await startOpsServer({
          port: config.opsPort,
          hostname: config.opsHostname,
          registry: metrics.registry,
          checks,
        });

  return {
    url: ingest?.url ?? null,
    opsUrl: ops?.url ?? null,
    metrics,
    live,
    warehouse,
    store,
    processor,
    status: () => ({ processor: processor.status(), consumer: consumer?.status() }),
    async stop() {
      if (ticker) clearInterval(ticker);
      if (archiver) clearInterval(archiver);
      if (reconciler) clearInterval(reconciler);
      if (exporter) clearInterval(exporter);
      // Steps still waiting for the job stop waiting; their writes stay unfinished.
      engineDefinitions?.close();
      await writeFinisher?.stop();
      await handoff?.close();
      await ops?.close();
      await kafkaCheck?.close();
      await ingest?.close();
      await consumer?.stop();
      await witness?.stop();
      await kafkaSink?.close();
      await processor.idle();
      await webhooks?.stop();
      await publisher?.close();
      await store.close();
      await warehouse.close();
      await tracing.shutdown();
    },
  };
}
