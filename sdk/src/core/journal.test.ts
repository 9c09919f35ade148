import { describe, expect, it } from 'vitest';
import { createFakeStore, createMapKv } from '../../test/fake-env';
import { adoptJournals, writeJournal } from './journal';

describe('the unload journal', () => {
  it('is written when there is something to keep and removed when there is not', () => {
    const kv = createMapKv();
    expect(writeJournal(kv, 'pulse:j:k:a', [['e1', '{}']], ['e0'])).toBe(true);
    expect(JSON.parse(kv.get('pulse:j:k:a')!)).toEqual([[['e1', '{}']], ['e0']]);
    expect(writeJournal(kv, 'pulse:j:k:a', [], [])).toBe(false);
    expect(kv.keys()).toEqual([]);
  });

  it("merges other pages' journals into the store, applies their acks, and removes them", async () => {
    const kv = createMapKv();
    const store = createFakeStore();
    await store.put([['acked-before', '{}']]);
    writeJournal(
      kv,
      'pulse:j:k:old',
      [
        ['e1', '{"n":1}'],
        ['sent-here', '{}'],
      ],
      ['acked-before'],
    );
    writeJournal(kv, 'pulse:j:k:mine', [['mine', '{}']], []);
    kv.set('pulse:j:k:torn', '[[["x"'); // cut short by the page going away
    kv.set('pulse:j:other:x', '[[["other-key","{}"]],[]]'); // another write key's journal
    await adoptJournals(kv, store, 'pulse:j:k:', 'pulse:j:k:mine', new Set(['sent-here']));
    expect([...store.rows.keys()]).toEqual(['e1']);
    expect(kv.keys().sort()).toEqual(['pulse:j:k:mine', 'pulse:j:other:x']);
  });
});
