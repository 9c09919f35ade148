import { useS3Server } from '../../tests/services/use-s3-server';
import { fileStore } from '../src/warehouse/file-store';
import { reconcileSuite } from './reconcile-suite';

// Reconciliation with the archive in a bucket of a real S3-compatible server (SeaweedFS): it
// reads the hour files through s3() to heal the warehouse, and rewrites them to heal itself.
const s3 = useS3Server();
if (s3) {
  reconcileSuite('reconciliation, the archive in a bucket', () => ({
    archive: fileStore(`${s3().endpoint}/pulse-archive/cold`, s3().credentials),
    lose: (relative) => s3().deleteObject('pulse-archive', `cold/${relative}`),
  }));
}
