import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OPS_PORT, PROCESSOR_GROUP, PulseStack, type PulseStackProps } from '../cdk/pulse-stack';

const synth = (props: Partial<PulseStackProps> = {}) =>
  Template.fromStack(
    new PulseStack(new App(), 'Pulse', {
      backendImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/pulse-backend:1',
      env: { account: '123456789012', region: 'eu-west-1' },
      ...props,
    }),
  );

describe('Pulse on AWS (cdk synth)', () => {
  const template = synth();

  it('runs Kafka on three MSK brokers with RF 3, min.insync 2, TLS and encryption at rest', () => {
    template.hasResourceProperties('AWS::MSK::Cluster', {
      NumberOfBrokerNodes: 3,
      EncryptionInfo: {
        EncryptionAtRest: { DataVolumeKMSKeyId: Match.anyValue() },
        EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
      },
      EnhancedMonitoring: 'PER_TOPIC_PER_PARTITION',
    });
    const config = Object.values(template.findResources('AWS::MSK::Configuration'))[0] as {
      Properties: { ServerProperties: string };
    };
    const settings = config.Properties.ServerProperties.split('\n');
    expect(settings).toContain('default.replication.factor=3');
    expect(settings).toContain('min.insync.replicas=2');
    expect(settings).toContain('unclean.leader.election.enable=false');
  });

  it('keeps state in a durable Redis cluster (MemoryDB): shards with replicas, TLS, KMS', () => {
    template.hasResourceProperties('AWS::MemoryDB::Cluster', {
      // ZMSCORE, which the state store reads memberships with, needs Redis 6.2.
      EngineVersion: '7.1',
      NumShards: 3,
      NumReplicasPerShard: 1,
      TLSEnabled: true,
      KmsKeyId: Match.anyValue(),
    });
  });

  it('archives to an encrypted, private S3 bucket whose objects grow colder with age', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
          }),
        ],
      },
    });
  });

  it('sends ingest traffic only to ready tasks, and scales ingest out', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/readyz',
      HealthCheckPort: String(OPS_PORT),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 20,
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'PULSE_OPS_PORT', Value: String(OPS_PORT) },
            { Name: 'PULSE_ROLES', Value: 'ingest' },
            // (A profile deleted through the ingest tasks' API must reach the job's state.)
            { Name: 'PULSE_ENGINE', Value: 'flink' },
          ]),
          Secrets: Match.arrayWith([Match.objectLike({ Name: 'INGEST_SECRET' })]),
        }),
      ]),
    });
  });

  it('processes on Managed Flink with checkpoints (exactly-once) and autoscaling', () => {
    template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      ApplicationConfiguration: Match.objectLike({
        FlinkApplicationConfiguration: Match.objectLike({
          CheckpointConfiguration: Match.objectLike({ CheckpointingEnabled: true }),
          ParallelismConfiguration: Match.objectLike({ AutoScalingEnabled: true }),
        }),
      }),
    });
    // The job reads its configuration from the PulseJob group; it is built for Flink 2.2.
    template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      RuntimeEnvironment: 'FLINK-2_2',
      ApplicationConfiguration: Match.objectLike({
        EnvironmentProperties: {
          PropertyGroups: [Match.objectLike({ PropertyGroupId: 'PulseJob' })],
        },
      }),
    });
    // Ingest, and the tasks loading the job's outputs into Redis and ClickHouse, scaled on CPU.
    template.resourceCountIs('AWS::ECS::Service', 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 16,
      ResourceId: Match.objectLike({
        'Fn::Join': Match.arrayWith([
          Match.arrayWith([
            { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProcessorService'), 'Name'] },
          ]),
        ]),
      }),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'PULSE_ROLES', Value: 'processor' },
            { Name: 'PULSE_ENGINE', Value: 'flink' },
          ]),
        }),
      ]),
    });
  });

  it('with the TS engine, runs one processor task and its standbys (the single-node engine)', () => {
    const ts = synth({ engine: 'ts' });
    ts.resourceCountIs('AWS::KinesisAnalyticsV2::Application', 0);
    // One leads, one waits on the processor lease; a deployment starts new tasks first.
    const processorService = (template: Template) =>
      Object.entries(template.findResources('AWS::ECS::Service')).find(([id]) =>
        id.startsWith('ProcessorService'),
      )?.[1].Properties as { DesiredCount: number; DeploymentConfiguration: object };
    expect(processorService(ts)).toMatchObject({
      DesiredCount: 2,
      DeploymentConfiguration: { MaximumPercent: 200, MinimumHealthyPercent: 50 },
    });
    expect(processorService(synth({ engine: 'ts', standbyProcessors: 0 })).DesiredCount).toBe(1);
    // Only ingest scales: processors do not share the work, so more would only stand by.
    expect(
      Object.keys(ts.findResources('AWS::ApplicationAutoScaling::ScalableTarget')),
    ).toHaveLength(1);
    expect(() => synth({ engine: 'ts', loaderTasks: { min: 2, max: 4 } })).toThrow(/Flink engine/);
    expect(() => synth({ standbyProcessors: 1 })).toThrow(/TS engine/);
    expect(() => synth({ engine: 'ts', standbyProcessors: 1.5 })).toThrow(/whole number/);
  });

  it('with the Flink engine, scales the loaders between the bounds given', () => {
    synth({ loaderTasks: { min: 3, max: 15 } }).hasResourceProperties(
      'AWS::ApplicationAutoScaling::ScalableTarget',
      { MinCapacity: 3, MaxCapacity: 15 },
    );
  });

  it('alarms on lag, 5xx and unready tasks, and loads the alert rules of deploy/observability', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SumOffsetLag',
      Namespace: 'AWS/Kafka',
      Dimensions: Match.arrayWith([{ Name: 'Consumer Group', Value: PROCESSOR_GROUP }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HTTPCode_Target_5XX_Count',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnHealthyHostCount' });
    template.hasResourceProperties('AWS::APS::RuleGroupsNamespace', {
      Data: readFileSync(new URL('../observability/alerts.yml', import.meta.url), 'utf8'),
    });
  });
});
