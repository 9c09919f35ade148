import { afterAll, beforeAll } from 'vitest';
import { missingService } from '../../tests/services/free-port';
import { s3Unavailable, startS3, type S3Server } from '../../tests/services/seaweedfs';
import { fileStore } from '../src/warehouse/file-store';
import { coldTierSuite } from './cold-tier-suite';

// The cold tier and the exports in buckets of a real S3-compatible server (SeaweedFS), signed
// with an access key: the same tests as in a directory, through ClickHouse's s3().
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
  coldTierSuite('the cold tier in a bucket', () => ({
    archive: fileStore(`${s3!.endpoint}/pulse-archive/cold`, s3!.credentials),
    exports: fileStore(`${s3!.endpoint}/customer-exports/pulse`, s3!.credentials),
  }));
}
