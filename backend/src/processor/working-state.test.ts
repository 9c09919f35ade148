import { describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../state/embedded-store';
import { WorkingState } from './working-state';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('WorkingState', () => {
  it('commits evidence, links and members under exactly the ids it was given, separators and all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-working-state-'));
    const store = openEmbeddedStore(dir);
    try {
      const state = await WorkingState.load(store, { ids: new Map(), clockUpTo: new Map() });
      // Joined with a NUL and split back, this source became segment `x`, source `v`.
      const source = 'v\u0000x\u0000y';
      state.addEvidence('cust_a', 'pricing', source, 'e1', 10);
      state.setLink('cust_a', source, 'u\u00001');
      state.setMember('cust_a', 'pricing', source, 99);
      const changes = state.changes();
      expect(changes.evidence).toMatchObject([{ customer: 'cust_a', segment: 'pricing', source }]);
      expect(changes.links).toEqual([{ customer: 'cust_a', source, user: 'u\u00001' }]);
      expect(changes.members).toEqual([
        { customer: 'cust_a', segment: 'pricing', id: source, end: 99 },
      ]);
      expect(state.dueMembers('cust_a', 100)).toEqual([
        { segment: 'pricing', id: source, end: 99 },
      ]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
