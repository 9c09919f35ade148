import { defineProject } from 'vitest/config';

/** `cdk synth` of the AWS stack, checked with aws-cdk-lib/assertions. */
export default defineProject({
  test: {
    name: 'deploy',
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
