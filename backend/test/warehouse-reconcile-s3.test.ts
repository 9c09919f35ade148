import { afterAll, beforeAll } from 'vitest';
import { missingService } from '../../tests/services/free-port';
import { s3Unavailable, startS3, type S3Server } from '../../tests/services/seaweedfs';
import { fileStore } from '../src/warehouse/file-store';
import { reconcileSuite } from './reconcile-suite';

// Reconciliation with the archive in a bucket of a real S3-compatible server (SeaweedFS): it
// reads the hour files through s3() to heal the warehouse, and rewrites them to heal itself.
const why = s3Unavailable();
const skip = why ? missingService('SeaweedFS', why) === 'skip' : false;

let s3: S3Server | undefined;
beforeAll(async () => {
  if (!skip) s3 = await startS3();
}, 90_000);
afterAll(async () => {
  await s3?.stop();
});

if (!skip) {
  reconcileSuite('reconciliation, the archive in a bucket', () => ({
    archive: fileStore(`${s3!.endpoint}/pulse-archive/cold`, s3!.credentials),
    lose: (relative) => s3!.deleteObject('pulse-archive', `cold/${relative}`),
  }));
}
