/**
 * `npm run synth -w deploy -- -c backendImage=<ECR URI> [-c engine=ts]`: the CloudFormation of
 * Pulse on AWS (pulse-stack.ts). `cdk deploy` with the same arguments deploys it.
 */
import { App } from 'aws-cdk-lib';
import { PulseStack } from './pulse-stack';

const app = new App();
const backendImage = app.node.tryGetContext('backendImage') as string | undefined;
if (!backendImage) throw new Error('pass -c backendImage=<container image of the backend>');
const engine = (app.node.tryGetContext('engine') as 'flink' | 'ts' | undefined) ?? 'flink';
new PulseStack(app, 'Pulse', {
  backendImage,
  engine,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
