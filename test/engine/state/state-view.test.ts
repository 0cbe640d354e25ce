import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../engine/state/memory-state-store.js';
import type { StateEntry, StateStore } from '../../../engine/state/state-store.js';
import { StateView } from '../../../engine/state/state-view.js';

const NS = 'q#agg-0#0';

/** A store with `a` (expires 10), `b` (expires 20) and `c` (no expiry), written by batch 0. */
async function seededStore(): Promise<MemoryStateStore> {
  const store = new MemoryStateStore();
  await store.write(NS, 0, [
    { key: 'a', entry: { value: 1, expiresAt: 10 }, base: undefined },
    { key: 'b', entry: { value: 2, expiresAt: 20 }, base: undefined },
    { key: 'c', entry: { value: 3 }, base: undefined },
  ]);
  return store;
}

/** The same store without the optional `getEach`, as the DynamoDB store is. */
function withoutGetEach(store: StateStore): StateStore {
  return {
    getMany: (...args) => store.getMany(...args),
    expiring: (...args) => store.expiring(...args),
    entries: (...args) => store.entries(...args),
    write: (...args) => store.write(...args),
    drop: (...args) => store.drop(...args),
  };
}

describe('StateView', () => {
  for (const [name, wrap] of [
    ['a store with getEach', (store: StateStore) => store],
    ['a store with getMany only', withoutGetEach],
  ] as const) {
    it(`loads once and reads stored entries, absent keys as undefined (${name})`, async () => {
      const view = new StateView<number>(wrap(await seededStore()), NS, 1);
      await view.load(['a', 'x', 'a']);
      expect(view.get('a')).toEqual({ value: 1, expiresAt: 10 });
      expect(view.get('x')).toBeUndefined();
      expect(() => view.get('b')).toThrow(/read before it was loaded/);
      await view.load(['b']);
      expect(view.get('b')).toEqual({ value: 2, expiresAt: 20 });
    });
  }

  it('reads its own writes, and records each write against the stored entry it replaces', async () => {
    const view = new StateView<number>(await seededStore(), NS, 1);
    await view.load(['a', 'b', 'x']);
    view.set('x', 9, 30);
    view.set('a', 11);
    view.delete('b');
    view.set('a', 12, 15);
    expect(view.get('a')).toEqual({ value: 12, expiresAt: 15 });
    expect(view.get('b')).toBeUndefined();
    // In the order of first write; `a` written twice is one write of its last entry.
    expect(view.writes().map(({ key, entry, base }) => ({ key, entry, base }))).toEqual([
      { key: 'x', entry: { value: 9, expiresAt: 30 }, base: undefined },
      { key: 'a', entry: { value: 12, expiresAt: 15 }, base: { value: 1, expiresAt: 10 } },
      { key: 'b', entry: undefined, base: { value: 2, expiresAt: 20 } },
    ]);
    expect(view.counts()).toEqual({ updated: 2, removed: 1, netAdded: 0 });
  });

  it('deleting a key that never existed is no write', async () => {
    const view = new StateView<number>(await seededStore(), NS, 1);
    await view.load(['x']);
    view.set('x', 1);
    view.delete('x');
    expect(view.writes()).toEqual([]);
    expect(view.counts()).toEqual({ updated: 0, removed: 0, netAdded: 0 });
  });

  it('a write before the load keeps its value, and the load still fetches the stored base', async () => {
    const view = new StateView<number>(await seededStore(), NS, 1);
    view.set('a', 100);
    expect(view.get('a')).toEqual({ value: 100 });
    await view.load(['a']);
    expect(view.get('a')).toEqual({ value: 100 });
    expect(view.writes()[0]!.base).toEqual({ value: 1, expiresAt: 10 });
    expect(view.counts()).toEqual({ updated: 1, removed: 0, netAdded: 0 });
  });

  it('expiring merges this batch’s writes over the store and makes the result deletable', async () => {
    const view = new StateView<number>(await seededStore(), NS, 1);
    await view.load(['b']);
    view.set('b', 2, 5); // now expires before `a`
    view.set('n', 7, 10); // new, ties with `a` on expiry
    const expiring = await view.expiring(10);
    expect(expiring).toEqual<Array<[string, StateEntry<number>]>>([
      ['b', { value: 2, expiresAt: 5 }],
      ['a', { value: 1, expiresAt: 10 }],
      ['n', { value: 7, expiresAt: 10 }],
    ]);
    for (const [key] of expiring) view.delete(key);
    expect(view.counts()).toEqual({ updated: 0, removed: 2, netAdded: -2 });
    expect(await view.expiring(100)).toEqual([]);
  });

  it('an eviction-only batch deletes what expiring listed, in any order', async () => {
    const view = new StateView<number>(await seededStore(), NS, 1);
    const expiring = await view.expiring(20);
    expect(expiring.map(([key]) => key)).toEqual(['a', 'b']);
    view.delete('b');
    view.delete('a');
    expect(view.get('a')).toBeUndefined();
    expect(view.counts()).toEqual({ updated: 0, removed: 2, netAdded: -2 });
    expect(view.writes().map(({ key }) => key)).toEqual(['b', 'a']);
  });

  it('entries lists stored and written entries by key, without the deleted ones', async () => {
    const view = new StateView<number>(await seededStore(), NS, 1);
    view.delete('a');
    view.set('0', 0);
    expect((await view.entries()).map(([key, entry]) => [key, entry.value])).toEqual([
      ['0', 0],
      ['b', 2],
      ['c', 3],
    ]);
  });
});
