import { CompressionTypes, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import { SinkUnavailableError } from '../sinks/sink-error';

export interface ProducerLane {
  /** Resolves once Kafka acknowledged (acks=all) the request that carried `topics`. */
  send(topics: TopicMessages[]): Promise<void>;
  /** Writes waiting or in flight: the sink sends to the least busy lane. */
  readonly load: number;
  close(): Promise<void>;
}

export interface ProducerLaneOptions {
  timeoutMs: number;
  compression: 'none' | 'gzip';
}

/**
 * One idempotent producer (acks=all, one request in flight) with group commit: writes that
 * arrive while a request waits for its ack go out together in the next request. A write
 * resolves only when the request carrying it was acknowledged; a failure reconnects on the
 * next write (after a broker restart the old connection is useless).
 */
export function createProducerLane(kafka: Kafka, options: ProducerLaneOptions): ProducerLane {
  const { timeoutMs } = options;
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  let waiting: Array<{ topics: TopicMessages[]; done: (error?: unknown) => void }> = [];
  let inFlight = 0;
  let draining = false;

  const connected = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const p = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      p.on(p.events.DISCONNECT, () => {
        if (producer === p) producer = undefined;
      });
      await p.connect();
      producer = p;
      return p;
    })().finally(() => (connecting = undefined));
    return connecting;
  };

  const request = async (topics: TopicMessages[]): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const p = await connected();
      await Promise.race([
        p.sendBatch({
          topicMessages: topics,
          acks: -1,
          timeout: timeoutMs,
          compression:
            options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no acknowledgement from Kafka within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      const stale = producer;
      producer = undefined;
      void stale?.disconnect().catch(() => {});
      throw new SinkUnavailableError(
        `Kafka did not acknowledge the batch: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  };

  const drain = async (): Promise<void> => {
    draining = true;
    while (waiting.length) {
      const group = waiting;
      waiting = [];
      const merged = new Map<string, TopicMessages['messages']>();
      for (const { topics } of group)
        for (const { topic, messages } of topics)
          merged.set(topic, (merged.get(topic) ?? []).concat(messages));
      try {
        await request([...merged].map(([topic, messages]) => ({ topic, messages })));
        for (const w of group) w.done();
      } catch (error) {
        for (const w of group) w.done(error);
      }
    }
    draining = false;
  };

  return {
    send(topics) {
      inFlight++;
      return new Promise<void>((resolve, reject) => {
        waiting.push({ topics, done: (error) => (inFlight--, error ? reject(error) : resolve()) });
        if (!draining) void drain();
      });
    },
    get load() {
      return inFlight;
    },
    async close() {
      await producer?.disconnect();
      producer = undefined;
    },
  };
}
