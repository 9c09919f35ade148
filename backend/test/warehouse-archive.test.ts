import { join } from 'node:path';
import { fileStore } from '../src/warehouse/file-store';
import { coldTierSuite } from './cold-tier-suite';

// The cold tier in a local directory: the embedded default's `<data dir>/archive`.
coldTierSuite('the cold tier in a directory', (dataDir) => ({
  archive: fileStore(join(dataDir, 'archive')),
  exports: fileStore(join(dataDir, 'exports')),
}));
