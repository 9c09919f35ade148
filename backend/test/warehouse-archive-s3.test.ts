import { useS3Server } from '../../tests/services/use-s3-server';
import { fileStore } from '../src/warehouse/file-store';
import { coldTierSuite } from './cold-tier-suite';

// The cold tier and the exports in buckets of a real S3-compatible server (SeaweedFS), signed
// with an access key: the same tests as in a directory, through ClickHouse's s3().
const s3 = useS3Server();
if (s3) {
  coldTierSuite('the cold tier in a bucket', () => ({
    archive: fileStore(`${s3().endpoint}/pulse-archive/cold`, s3().credentials),
    exports: fileStore(`${s3().endpoint}/customer-exports/pulse`, s3().credentials),
  }));
}
