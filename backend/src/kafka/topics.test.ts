import { describe, expect, it } from 'vitest';
import { PRODUCTION_TOPICS, topicSettingsFromEnv } from './topics';

describe('topicSettingsFromEnv', () => {
  it('creates production topics by default: three copies, two in sync for acks=all', () => {
    expect(topicSettingsFromEnv({})).toEqual(PRODUCTION_TOPICS);
    expect(PRODUCTION_TOPICS).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('takes a single local broker when told, and refuses settings that cannot work', () => {
    expect(topicSettingsFromEnv({ PULSE_KAFKA_REPLICATION: '1' })).toMatchObject({
      replicationFactor: 1,
      minInsyncReplicas: 1,
    });
    expect(() => topicSettingsFromEnv({ PULSE_KAFKA_REPLICATION: 'three' })).toThrow(
      /PULSE_KAFKA_REPLICATION must be a positive whole number/,
    );
    expect(() =>
      topicSettingsFromEnv({ PULSE_KAFKA_REPLICATION: '1', PULSE_KAFKA_MIN_INSYNC: '2' }),
    ).toThrow(/cannot exceed/);
  });
});
