import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileStore } from '../src/warehouse/file-store';
import { reconcileSuite } from './reconcile-suite';

// Reconciliation with the archive in a local directory: the embedded default.
reconcileSuite('reconciliation, the archive in a directory', (dataDir) => ({
  archive: fileStore(join(dataDir, 'archive')),
  lose: async (relative) => rmSync(join(dataDir, 'archive', relative)),
}));
