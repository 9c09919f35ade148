import { afterAll, beforeAll } from 'vitest';
import { missingService } from './free-port';
import { s3Unavailable, startS3, type S3Server } from './seaweedfs';

/**
 * One SeaweedFS server for the calling test file, started before its tests and stopped after
 * them: a getter for it, or null when the binary is missing and the run may skip (with
 * `CI=true` it fails instead).
 */
export function useS3Server(): (() => S3Server) | null {
  const why = s3Unavailable();
  if (why && missingService('SeaweedFS', why) === 'skip') return null;
  let s3: S3Server | undefined;
  beforeAll(async () => {
    s3 = await startS3();
  }, 90_000);
  afterAll(async () => {
    await s3?.stop();
  });
  return () => {
    if (!s3) throw new Error('SeaweedFS has not started (read it inside a test or hook)');
    return s3;
  };
}
