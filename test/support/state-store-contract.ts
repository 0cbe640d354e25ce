import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../engine/index.js';

/**
 * The versioned state-store contract, run against every implementation (memory, DynamoDB) so
 * they cannot drift apart.
 */
export function stateStoreContract(
  name: string,
  makeStore: () => Promise<{ store: StateStore; namespace: string }>,
) {
  describe(`${name} honours the StateStore contract`, () => {
    it('reads absent keys as missing and returns what a batch wrote to later batches', async () => {
      const { store, namespace } = await makeStore();
      expect((await store.getMany(namespace, ['a'], 0)).size).toBe(0);
      await store.write(namespace, 0, [{ key: 'a', entry: { value: { n: 1 } }, base: undefined }]);
      expect(await store.getMany(namespace, ['a', 'b'], 1)).toEqual(new Map([['a', { value: { n: 1 } }]]));
    });

    it('a replay of batch N reads the state before N even after N wrote', async () => {
      const { store, namespace } = await makeStore();
      await store.write(namespace, 3, [{ key: 'k', entry: { value: 'v3', expiresAt: 30 }, base: undefined }]);
      await store.write(namespace, 5, [
        { key: 'k', entry: { value: 'v5', expiresAt: 50 }, base: { value: 'v3', expiresAt: 30 } },
      ]);
      expect(await store.getMany(namespace, ['k'], 5)).toEqual(
        new Map([['k', { value: 'v3', expiresAt: 30 }]]),
      );
      expect(await store.getMany(namespace, ['k'], 6)).toEqual(
        new Map([['k', { value: 'v5', expiresAt: 50 }]]),
      );
      // Writing batch 5 again (the replay) is idempotent.
      await store.write(namespace, 5, [
        { key: 'k', entry: { value: 'v5', expiresAt: 50 }, base: { value: 'v3', expiresAt: 30 } },
      ]);
      expect(await store.getMany(namespace, ['k'], 5)).toEqual(
        new Map([['k', { value: 'v3', expiresAt: 30 }]]),
      );
    });

    it('deletes are tombstones: gone for later batches, still the previous version for a replay', async () => {
      const { store, namespace } = await makeStore();
      await store.write(namespace, 1, [{ key: 'k', entry: { value: 7 }, base: undefined }]);
      await store.write(namespace, 2, [{ key: 'k', entry: undefined, base: { value: 7 } }]);
      expect((await store.getMany(namespace, ['k'], 3)).size).toBe(0);
      expect(await store.getMany(namespace, ['k'], 2)).toEqual(new Map([['k', { value: 7 }]]));
      expect(await store.entries(namespace, 3)).toEqual([]);
      expect(await store.entries(namespace, 2)).toEqual([['k', { value: 7 }]]);
    });

    it('finds expiring entries by range, as of the batch, ordered by expiry then key', async () => {
      const { store, namespace } = await makeStore();
      await store.write(namespace, 1, [
        { key: 'b', entry: { value: 1, expiresAt: 100 }, base: undefined },
        { key: 'a', entry: { value: 2, expiresAt: 100 }, base: undefined },
        { key: 'c', entry: { value: 3, expiresAt: 50 }, base: undefined },
        { key: 'd', entry: { value: 4, expiresAt: 500 }, base: undefined },
        { key: 'e', entry: { value: 5 }, base: undefined },
      ]);
      // Batch 2 pushes c's expiry out; a replay of batch 2 must still see c at 50.
      await store.write(namespace, 2, [
        { key: 'c', entry: { value: 3, expiresAt: 900 }, base: { value: 3, expiresAt: 50 } },
      ]);
      const keysAt = async (bound: number, batch: number) =>
        (await store.expiring(namespace, bound, batch)).map(([key, entry]) => [key, entry.expiresAt]);
      expect(await keysAt(100, 2)).toEqual([
        ['c', 50],
        ['a', 100],
        ['b', 100],
      ]);
      expect(await keysAt(100, 3)).toEqual([
        ['a', 100],
        ['b', 100],
      ]);
      expect(await keysAt(99, 3)).toEqual([]);
    });

    it('keeps namespaces apart and lists entries in key order', async () => {
      const { store, namespace } = await makeStore();
      const other = `${namespace}-other`;
      await store.write(namespace, 0, [
        { key: 'y', entry: { value: 1 }, base: undefined },
        { key: 'x', entry: { value: 2 }, base: undefined },
      ]);
      await store.write(other, 0, [{ key: 'x', entry: { value: 'other' }, base: undefined }]);
      expect((await store.entries(namespace, 1)).map(([key]) => key)).toEqual(['x', 'y']);
      expect(await store.entries(other, 1)).toEqual([['x', { value: 'other' }]]);
    });

    it('refuses to read or overwrite state written by a later batch', async () => {
      const { store, namespace } = await makeStore();
      await store.write(namespace, 9, [{ key: 'k', entry: { value: 1 }, base: undefined }]);
      await expect(store.getMany(namespace, ['k'], 8)).rejects.toMatchObject({
        code: 'SLUICE_STATE_STORE_MISUSE',
      });
    });

    it('round-trips plain data including binary, nested lists and null', async () => {
      const { store, namespace } = await makeStore();
      const value = { k: ['page', 12, null], a: [3, [1.5, 2], new Uint8Array([0, 7, 255]), ['x', 'y']] };
      await store.write(namespace, 0, [{ key: '["page",12]', entry: { value }, base: undefined }]);
      const read = (await store.getMany(namespace, ['["page",12]'], 1)).get('["page",12]')!;
      expect(read.value).toEqual(value);
      expect((read.value as typeof value).a[2]).toBeInstanceOf(Uint8Array);
    });

    it('handles more keys than one batch request holds', async () => {
      const { store, namespace } = await makeStore();
      const keys = Array.from({ length: 260 }, (_, i) => `key-${i}`);
      await store.write(
        namespace,
        0,
        keys.map((key, i) => ({ key, entry: { value: i, expiresAt: i }, base: undefined })),
      );
      const found = await store.getMany(namespace, keys, 1);
      expect(found.size).toBe(260);
      expect(found.get('key-259')).toEqual({ value: 259, expiresAt: 259 });
      expect((await store.expiring(namespace, 129, 1)).length).toBe(130);
    });
  });
}
