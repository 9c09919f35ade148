import { readFileSync } from 'node:fs';
import { Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as flink from 'aws-cdk-lib/aws-kinesisanalyticsv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as memorydb from 'aws-cdk-lib/aws-memorydb';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';

/** The operations port of every Pulse process (`PULSE_OPS_PORT`: /healthz, /readyz, /metrics). */
export const OPS_PORT = 9464;
/** Backend ingest and the query APIs. */
export const INGEST_PORT = 8788;
/** Consumer group of the TS processor: its lag is what the lag alarm watches. */
export const PROCESSOR_GROUP = 'pulse-processor';

export interface PulseStackProps extends StackProps {
  /** Container image of the backend (`node --import tsx backend/src/main.ts`), e.g. an ECR URI. */
  backendImage: string;
  /** Brokers of the MSK cluster. @default 3 (one per AZ, RF 3, min.insync 2) */
  kafkaBrokers?: number;
  /** MSK broker instance type. @default kafka.m7g.large */
  kafkaInstanceType?: string;
  /** Ingest/API tasks at rest and at most (they scale on CPU and request count). @default 2 / 20 */
  ingestTasks?: { min: number; max: number };
  /**
   * The processing engine. `flink` (default): the Flink job on Amazon Managed Service for Apache
   * Flink, from `flinkJar` in the artifacts bucket. `ts`: one TS processor task, the single-node
   * engine (docs/architecture.md, "Engines").
   */
  engine?: 'flink' | 'ts';
  /**
   * With the Flink engine: loader tasks at rest and at most (`PULSE_ENGINE=flink`; they share the
   * topics' partitions through one consumer group and scale on CPU). Every event passes through
   * a loader: one task loaded about 13,500 events/s in `npm run bench -- flink`
   * (docs/capacity.md). The TS engine runs one processing task and its standbys. @default 1 / 16
   */
  loaderTasks?: { min: number; max: number };
  /**
   * With the TS engine: processor tasks beside the one that processes, each waiting on the
   * processor lease in Redis (backend/src/processor/processor-lease.ts) to take over when the
   * leader stops or dies. They also let a deployment start the new tasks before it stops the
   * old. @default 1
   */
  standbyProcessors?: number;
  /**
   * S3 key of the Flink job's jar in the artifacts bucket: `mvn -f backend/flink/pom.xml package
   * -Pcluster-jar` builds it. @default pulse-flink-cluster.jar
   */
  flinkJar?: string;
  /** Managed Flink runtime; must match the Flink version the job is built for (2.2). @default FLINK-2_2 */
  flinkRuntime?: string;
  /** Alarm when the processing engine is this many records behind. @default 50000 */
  lagAlarmRecords?: number;
}

/**
 * Pulse on AWS: MSK (3 brokers, RF 3, min.insync 2, TLS), the processing engine (Managed Flink, or
 * one TS processor), MemoryDB for the state store (Redis cluster mode with a durable transaction
 * log), the S3 archive with lifecycle rules, ingest + API on ECS Fargate behind a load balancer
 * with readiness checks, ClickHouse by configuration (a secret holding its URL: ClickHouse Cloud
 * or a self-run server), Prometheus metrics scraped into Amazon Managed Prometheus with the alert
 * rules of deploy/observability, and CloudWatch alarms on lag and errors.
 */
export class PulseStack extends Stack {
  readonly vpc: ec2.Vpc;
  readonly archive: s3.Bucket;

  constructor(scope: Construct, id: string, props: PulseStackProps) {
    super(scope, id, props);
    const engine = props.engine ?? 'flink';
    const key = new kms.Key(this, 'DataKey', {
      enableKeyRotation: true,
      description: 'Pulse data at rest: Kafka, state store, archive',
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 3, natGateways: 3 });
    const privateSubnets = this.vpc.selectSubnets({
      subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
    }).subnetIds;
    const servicesSg = new ec2.SecurityGroup(this, 'ServicesSg', { vpc: this.vpc });

    // --- Kafka: MSK, three brokers over three AZs; topics RF 3 with min.insync 2, so acks=all
    // survives one broker down and never acknowledges a single copy.
    const kafkaSg = new ec2.SecurityGroup(this, 'KafkaSg', { vpc: this.vpc });
    kafkaSg.addIngressRule(servicesSg, ec2.Port.tcp(9094), 'Pulse services to MSK over TLS');
    const kafkaConfig = new msk.CfnConfiguration(this, 'KafkaConfig', {
      name: `${id}-kafka`,
      serverProperties: [
        'default.replication.factor=3',
        'min.insync.replicas=2',
        'auto.create.topics.enable=false',
        'unclean.leader.election.enable=false',
        `log.retention.ms=${7 * 24 * 3600 * 1000}`,
      ].join('\n'),
    });
    const kafka = new msk.CfnCluster(this, 'Kafka', {
      clusterName: `${id}-kafka`,
      kafkaVersion: '3.9.x',
      numberOfBrokerNodes: props.kafkaBrokers ?? 3,
      brokerNodeGroupInfo: {
        instanceType: props.kafkaInstanceType ?? 'kafka.m7g.large',
        clientSubnets: privateSubnets,
        securityGroups: [kafkaSg.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: 1000 } },
      },
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKmsKeyId: key.keyArn },
        encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
      },
      configurationInfo: { arn: kafkaConfig.attrArn, revision: 1 },
      // Consumer lag per topic and partition in CloudWatch (the lag alarm below).
      enhancedMonitoring: 'PER_TOPIC_PER_PARTITION',
    });
    const bootstrap = new cr.AwsCustomResource(this, 'KafkaBootstrap', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: kafka.attrArn },
        physicalResourceId: cr.PhysicalResourceId.of(kafka.attrArn),
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [kafka.attrArn] }),
      installLatestAwsSdk: false,
    });
    // `ssl://` makes every Pulse Kafka client connect with TLS (backend/src/kafka/brokers.ts).
    const kafkaBrokers = Fn.join('', [
      'ssl://',
      Fn.join(',ssl://', Fn.split(',', bootstrap.getResponseField('BootstrapBrokerStringTls'))),
    ]);

    // --- State store: MemoryDB (Redis cluster mode). A write is acknowledged only once it is in
    // the multi-AZ transaction log, which the processor needs: it commits Kafka offsets after
    // the state commit, so the store must not lose acknowledged writes (ElastiCache can).
    const stateSg = new ec2.SecurityGroup(this, 'StateSg', { vpc: this.vpc });
    stateSg.addIngressRule(servicesSg, ec2.Port.tcp(6379), 'Pulse services to the state store');
    const stateSubnets = new memorydb.CfnSubnetGroup(this, 'StateSubnets', {
      subnetGroupName: `${id}-state`.toLowerCase(),
      subnetIds: privateSubnets,
    });
    const state = new memorydb.CfnCluster(this, 'State', {
      clusterName: `${id}-state`.toLowerCase(),
      nodeType: 'db.r7g.large',
      engine: 'redis',
      // The store reads memberships with ZMSCORE (Redis 6.2 or later).
      engineVersion: '7.1',
      numShards: 3,
      numReplicasPerShard: 1,
      aclName: 'open-access',
      tlsEnabled: true,
      kmsKeyId: key.keyId,
      subnetGroupName: stateSubnets.ref,
      securityGroupIds: [stateSg.securityGroupId],
      snapshotRetentionLimit: 7,
    });
    state.addResourceDependency(stateSubnets);
    const redisNodes = `${state.attrClusterEndpointAddress}:${state.attrClusterEndpointPort}`;

    // --- Archive (cold tier): hourly Parquet by customer/date/hour. Kept a year, cheaper with age.
    this.archive = new s3.Bucket(this, 'Archive', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'cold-with-age',
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(90),
            },
          ],
          expiration: Duration.days(400),
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });
    const artifacts = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- ClickHouse by configuration: its URL (ClickHouse Cloud, or a self-run server) and the
    // two shared secrets live in Secrets Manager; set the URL after the first deploy.
    const clickhouseUrl = new secrets.Secret(this, 'ClickHouseUrl', {
      description: 'CLICKHOUSE_URL of the warehouse: https://user:password@host:8443/pulse',
    });
    const ingestSecret = new secrets.Secret(this, 'IngestSecret', {
      description: 'INGEST_SECRET: the HMAC secret shared by the edge and backend ingest',
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
    });

    // --- Metrics: Amazon Managed Prometheus with Pulse's alert rules; each task runs an ADOT
    // collector beside it that scrapes its operations port and remote-writes there.
    const prometheus = new aps.CfnWorkspace(this, 'Metrics', { alias: `${id}-metrics` });
    new aps.CfnRuleGroupsNamespace(this, 'AlertRules', {
      workspace: prometheus.attrArn,
      name: 'pulse',
      data: readFileSync(new URL('../observability/alerts.yml', import.meta.url), 'utf8'),
    });

    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const environment = {
      KAFKA_BROKERS: kafkaBrokers,
      REDIS_CLUSTER_NODES: redisNodes,
      PULSE_OPS_PORT: String(OPS_PORT),
      PULSE_OPS_HOST: '0.0.0.0',
      PULSE_GROUP_ID: PROCESSOR_GROUP,
    };
    const taskSecrets = {
      CLICKHOUSE_URL: ecs.Secret.fromSecretsManager(clickhouseUrl),
      INGEST_SECRET: ecs.Secret.fromSecretsManager(ingestSecret),
    };
    const withMetrics = (task: ecs.TaskDefinition, job: string) => {
      task.addContainer('metrics', {
        image: ecs.ContainerImage.fromRegistry(
          'public.ecr.aws/aws-observability/aws-otel-collector:latest',
        ),
        essential: false,
        memoryLimitMiB: 256,
        environment: {
          AOT_CONFIG_CONTENT: collectorConfig(job, prometheus.attrPrometheusEndpoint, this.region),
        },
        logging: ecs.LogDrivers.awsLogs({ streamPrefix: `${job}-metrics` }),
      });
      task.addToTaskRolePolicy(
        new iam.PolicyStatement({
          actions: ['aps:RemoteWrite'],
          resources: [prometheus.attrArn],
        }),
      );
    };

    // --- Ingest + query APIs: behind a load balancer that sends traffic only to ready tasks.
    const ingestTasks = props.ingestTasks ?? { min: 2, max: 20 };
    const ingest = new ecsPatterns.ApplicationLoadBalancedFargateService(this, 'Ingest', {
      cluster,
      cpu: 1024,
      memoryLimitMiB: 2048,
      desiredCount: ingestTasks.min,
      minHealthyPercent: 100,
      securityGroups: [servicesSg],
      taskSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      circuitBreaker: { rollback: true },
      taskImageOptions: {
        image: ecs.ContainerImage.fromRegistry(props.backendImage),
        containerPort: INGEST_PORT,
        // The engine, as the processing tasks run it: a profile deleted through the API must
        // reach the Flink job's state, and segment writes go to the tasks that process.
        environment: {
          ...environment,
          PULSE_ROLES: 'ingest',
          PULSE_ENGINE: engine,
          PORT: String(INGEST_PORT),
        },
        secrets: taskSecrets,
        logDriver: ecs.LogDrivers.awsLogs({
          streamPrefix: 'ingest',
          logRetention: logs.RetentionDays.ONE_MONTH,
        }),
      },
    });
    ingest.taskDefinition.defaultContainer?.addPortMappings({ containerPort: OPS_PORT });
    ingest.targetGroup.configureHealthCheck({
      path: '/readyz',
      port: String(OPS_PORT),
      healthyHttpCodes: '200',
      interval: Duration.seconds(10),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
    });
    servicesSg.connections.allowFrom(
      ingest.loadBalancer,
      ec2.Port.tcp(OPS_PORT),
      'readiness checks',
    );
    withMetrics(ingest.taskDefinition, 'ingest');
    const ingestScaling = ingest.service.autoScaleTaskCount({
      minCapacity: ingestTasks.min,
      maxCapacity: ingestTasks.max,
    });
    ingestScaling.scaleOnCpuUtilization('IngestCpu', { targetUtilizationPercent: 60 });
    ingestScaling.scaleOnRequestCount('IngestRequests', {
      requestsPerTarget: 2000,
      targetGroup: ingest.targetGroup,
    });

    // --- Processing. With the TS engine, the processor itself: one task processes, the
    // single-node engine (docs/architecture.md, "Engines"), and standbys wait to take over. With Flink, the job on Managed Flink (below) and
    // tasks loading its outputs and the events into Redis and ClickHouse (PULSE_ENGINE=flink),
    // scaled on CPU: the loader bounds the Flink mode's throughput as the processor bounds the TS
    // engine's.
    if (engine === 'ts' && props.loaderTasks) {
      throw new Error('loaderTasks is for the Flink engine: the TS engine runs one processor task');
    }
    if (engine === 'flink' && props.standbyProcessors !== undefined) {
      throw new Error('standbyProcessors is for the TS engine: Flink loaders all work');
    }
    const standbyProcessors = props.standbyProcessors ?? 1;
    if (!Number.isInteger(standbyProcessors) || standbyProcessors < 0) {
      throw new Error(`standbyProcessors must be a whole number; got ${standbyProcessors}`);
    }
    {
      const task = new ecs.FargateTaskDefinition(this, 'ProcessorTask', {
        cpu: 2048,
        memoryLimitMiB: 4096,
      });
      task.addContainer('processor', {
        image: ecs.ContainerImage.fromRegistry(props.backendImage),
        environment: { ...environment, PULSE_ROLES: 'processor', PULSE_ENGINE: engine },
        secrets: taskSecrets,
        portMappings: [{ containerPort: OPS_PORT }],
        healthCheck: {
          command: [
            'CMD',
            'node',
            '-e',
            `fetch('http://127.0.0.1:${OPS_PORT}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
          ],
          interval: Duration.seconds(15),
          retries: 3,
        },
        logging: ecs.LogDrivers.awsLogs({
          streamPrefix: 'processor',
          logRetention: logs.RetentionDays.ONE_MONTH,
        }),
      });
      withMetrics(task, 'processor');
      const loaderTasks = props.loaderTasks ?? { min: 1, max: 16 };
      const service = new ecs.FargateService(this, 'Processor', {
        cluster,
        taskDefinition: task,
        // TS processors take turns through their lease: one processes, the others stand by,
        // and a deployment starts the new ones (standbys) before it stops the old. Loaders may
        // overlap: every load is idempotent.
        desiredCount: engine === 'ts' ? 1 + standbyProcessors : loaderTasks.min,
        ...(engine === 'ts' ? { maxHealthyPercent: 200, minHealthyPercent: 50 } : {}),
        securityGroups: [servicesSg],
        circuitBreaker: { rollback: true },
      });
      if (engine === 'flink') {
        service
          .autoScaleTaskCount({ minCapacity: loaderTasks.min, maxCapacity: loaderTasks.max })
          .scaleOnCpuUtilization('LoaderCpu', { targetUtilizationPercent: 60 });
      }
    }
    if (engine === 'flink') {
      const role = new iam.Role(this, 'FlinkRole', {
        assumedBy: new iam.ServicePrincipal('kinesisanalytics.amazonaws.com'),
      });
      artifacts.grantRead(role);
      role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonECSTaskExecutionRolePolicy'),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:DescribeVpcs',
            'ec2:DescribeSubnets',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeDhcpOptions',
            'ec2:CreateNetworkInterface',
            'ec2:CreateNetworkInterfacePermission',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
          ],
          resources: ['*'],
        }),
      );
      new flink.CfnApplication(this, 'Flink', {
        applicationName: `${id}-processing`,
        runtimeEnvironment: props.flinkRuntime ?? 'FLINK-2_2',
        serviceExecutionRole: role.roleArn,
        applicationConfiguration: {
          applicationCodeConfiguration: {
            codeContentType: 'ZIPFILE',
            codeContent: {
              s3ContentLocation: {
                bucketArn: artifacts.bucketArn,
                fileKey: props.flinkJar ?? 'pulse-flink-cluster.jar',
              },
            },
          },
          flinkApplicationConfiguration: {
            // Exactly-once: checkpoints drive the transactional Kafka sinks.
            checkpointConfiguration: {
              configurationType: 'CUSTOM',
              checkpointingEnabled: true,
              checkpointInterval: 10_000,
              minPauseBetweenCheckpoints: 5_000,
            },
            // Scales the job's parallelism with its load (KPUs), the engine's answer to lag.
            parallelismConfiguration: {
              configurationType: 'CUSTOM',
              parallelism: 4,
              parallelismPerKpu: 1,
              autoScalingEnabled: true,
            },
            monitoringConfiguration: {
              configurationType: 'CUSTOM',
              metricsLevel: 'OPERATOR',
              logLevel: 'INFO',
            },
          },
          applicationSnapshotConfiguration: { snapshotsEnabled: true },
          environmentProperties: {
            propertyGroups: [
              {
                // Read by the job as its environment (backend/flink, KafkaJobConfig).
                propertyGroupId: 'PulseJob',
                propertyMap: { KAFKA_BROKERS: environment.KAFKA_BROKERS },
              },
            ],
          },
          vpcConfigurations: [
            { subnetIds: privateSubnets, securityGroupIds: [servicesSg.securityGroupId] },
          ],
        },
      });
    }

    // --- Alarms (CloudWatch) for what pages someone even when Prometheus is down.
    const lag = new cloudwatch.Metric({
      namespace: 'AWS/Kafka',
      metricName: 'SumOffsetLag',
      dimensionsMap: { 'Cluster Name': `${id}-kafka`, 'Consumer Group': PROCESSOR_GROUP },
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    new cloudwatch.Alarm(this, 'ProcessingLag', {
      metric: lag,
      threshold: props.lagAlarmRecords ?? 50_000,
      evaluationPeriods: 5,
      alarmDescription: 'The processing engine is behind: dashboards and segments are stale.',
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    new cloudwatch.Alarm(this, 'Ingest5xx', {
      metric: ingest.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
        period: Duration.minutes(1),
        statistic: 'Sum',
      }),
      threshold: 10,
      evaluationPeriods: 3,
      alarmDescription:
        'Ingest answers 5xx: events cannot be made durable (Kafka or the warehouse).',
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    new cloudwatch.Alarm(this, 'IngestUnhealthy', {
      metric: ingest.targetGroup.metrics.unhealthyHostCount({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 3,
      alarmDescription: 'An ingest task fails its readiness check (/readyz names the dependency).',
    });
    new cloudwatch.Alarm(this, 'KafkaDisk', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Kafka',
        metricName: 'KafkaDataLogsDiskUsed',
        dimensionsMap: { 'Cluster Name': `${id}-kafka` },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 80,
      evaluationPeriods: 3,
      alarmDescription: 'A broker disk is over 80% full.',
    });
  }
}

/** The ADOT collector's config: scrape the task's operations port, remote-write to AMP. */
function collectorConfig(job: string, endpoint: string, region: string): string {
  return [
    'extensions:',
    '  sigv4auth:',
    `    region: ${region}`,
    '    service: aps',
    'receivers:',
    '  prometheus:',
    '    config:',
    '      scrape_configs:',
    `        - job_name: ${job}`,
    '          scrape_interval: 15s',
    `          static_configs: [{ targets: ['127.0.0.1:${OPS_PORT}'] }]`,
    'exporters:',
    '  prometheusremotewrite:',
    `    endpoint: ${endpoint}api/v1/remote_write`,
    '    auth: { authenticator: sigv4auth }',
    'service:',
    '  extensions: [sigv4auth]',
    '  pipelines:',
    '    metrics: { receivers: [prometheus], exporters: [prometheusremotewrite] }',
  ].join('\n');
}
