import type { Sink } from '@pulse/contract';
import type { Warehouse } from '../warehouse/warehouse';
import type { BackendMetrics } from './backend-metrics';

const seconds = (since: number) => (performance.now() - since) / 1000;

/** The ingest sink, counting what it made durable and timing each write (Kafka produce, acks=all). */
export function measuredSink(sink: Sink, metrics: BackendMetrics): Sink {
  return {
    async write(batch) {
      const start = performance.now();
      try {
        await sink.write(batch);
      } catch (error) {
        metrics.ingestFailed(seconds(start));
        throw error;
      }
      metrics.ingested(batch, seconds(start));
    },
  };
}

/** The warehouse with each write timed and its failures counted; every other member as is. */
export function measuredWarehouse(warehouse: Warehouse, metrics: BackendMetrics): Warehouse {
  const write: Warehouse['write'] = async (batch) => {
    const start = performance.now();
    try {
      await warehouse.write(batch);
    } catch (error) {
      metrics.warehouseWrite(seconds(start), 'error');
      throw error;
    }
    metrics.warehouseWrite(seconds(start), 'ok');
  };
  return new Proxy(warehouse, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
