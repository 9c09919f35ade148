/**
 * Broker addresses as kafkajs takes them, from the list a process is configured with
 * (`KAFKA_BROKERS`). An address may start with `ssl://` (Amazon MSK's TLS listener, port 9094):
 * then every connection is TLS, verified against the system's CAs. Plain `host:port` stays
 * plaintext (a local broker, the tests).
 *
 * @example
 * new Kafka({ clientId, ...kafkaBrokers(['ssl://b-1.msk:9094', 'ssl://b-2.msk:9094']) });
 */
export function kafkaBrokers(list: string[]): { brokers: string[]; ssl: boolean } {
  const tls = list.map((address) => address.startsWith('ssl://'));
  if (tls.some(Boolean) && !tls.every(Boolean)) {
    throw new Error('KAFKA_BROKERS mixes ssl:// and plaintext addresses; use one kind');
  }
  return {
    brokers: list.map((address) => address.replace(/^ssl:\/\//, '')),
    ssl: tls.length > 0 && tls.every(Boolean),
  };
}
