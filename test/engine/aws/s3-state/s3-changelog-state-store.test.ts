import { describe, expect, it } from 'vitest';
import { S3StateObjects } from '../../../../engine/aws/s3-state/index.js';
import type { ChangelogVersion } from '../../../../engine/state/changelog/changelog-layout.js';
import { ChangelogStateStore } from '../../../../engine/state/changelog/changelog-state-store.js';
import { stateStoreContract } from '../../../support/state-store-contract.js';
import { listKeys, useS3Bucket } from '../s3/s3-fixture.js';

const fixture = useS3Bucket('state-changelog');
let seq = 0;

const objectsAt = (prefix: string) =>
  new S3StateObjects({ client: fixture.s3(), bucket: fixture.bucket, prefix, query: 'q' });

stateStoreContract('ChangelogStateStore (s3rver)', async () => ({
  store: new ChangelogStateStore({ objects: objectsAt(`contract-${seq}`), query: 'q', isolateValues: true }),
  namespace: `q#aggregate-0#shard-${seq++}`,
}));

describe('ChangelogStateStore on S3', () => {
  it('writes Parquet objects under PREFIX/QUERY/_state/SHARD/OPERATOR/ that a cold container loads back, and deletes garbage', async () => {
    const prefix = 'roundtrip';
    const store = new ChangelogStateStore({ objects: objectsAt(prefix), query: 'q', maxDeltas: 3 });
    const value = { k: ['page', 12, null], bytes: new Uint8Array([0, 7, 255]) };
    let version: ChangelogVersion | undefined;
    for (let batchId = 0; batchId < 5; batchId++) {
      await store.versioning.open('shardId-000000000000', version, batchId);
      await store.write('q#aggregate-0#shardId-000000000000', batchId, [
        { key: `k${batchId}`, entry: { value, expiresAt: batchId * 10 }, base: undefined },
        ...(batchId === 2 ? [{ key: 'k0', entry: undefined, base: undefined }] : []),
      ]);
      version = (await store.versioning.seal('shardId-000000000000', batchId)) as ChangelogVersion;
    }
    // A zombie attempt at batch 2, after batch 2 committed: never named, so never read.
    const zombie = new ChangelogStateStore({
      objects: objectsAt(prefix),
      query: 'q',
      newAttemptId: () => 'zombie',
    });
    await zombie.write('q#aggregate-0#shardId-000000000000', 2, [
      { key: 'evil', entry: { value: 1 }, base: undefined },
    ]);

    const cold = new ChangelogStateStore({ objects: objectsAt(prefix), query: 'q' });
    await cold.versioning.open('shardId-000000000000', version, 5);
    const entries = await cold.entries('q#aggregate-0#shardId-000000000000', 5);
    expect(entries.map(([key, entry]) => [key, entry.expiresAt])).toEqual([
      ['k1', 10],
      ['k2', 20],
      ['k3', 30],
      ['k4', 40],
    ]);
    expect([...(entries[0]![1].value as typeof value).bytes]).toEqual([0, 7, 255]);

    const keys = await listKeys(fixture.s3(), fixture.bucket, `${prefix}/q/_state/`);
    expect(keys.every((key) => key.startsWith('roundtrip/q/_state/shardId-000000000000/aggregate-0/'))).toBe(
      true,
    );
    expect(keys.some((key) => key.includes('zombie'))).toBe(true);
    // Batch 5 adds a delta; batch 6 snapshots (the third delta is due) and removes what no reader needs.
    const shard = 'shardId-000000000000';
    await cold.write(`q#aggregate-0#${shard}`, 5, [{ key: 'k5', entry: { value: 5 }, base: undefined }]);
    await cold.versioning.open(shard, await cold.versioning.seal(shard, 5), 6);
    await cold.write(`q#aggregate-0#${shard}`, 6, [{ key: 'k6', entry: { value: 6 }, base: undefined }]);
    const after = await listKeys(fixture.s3(), fixture.bucket, `${prefix}/q/_state/`);
    expect(after.some((key) => key.includes('zombie'))).toBe(false);
    expect(
      after.map((key) =>
        key
          .split('/')
          .at(-1)!
          .replace(/-[0-9a-z]+\./, '-*.'),
      ),
    ).toEqual([
      '00000000000000000003-*.snapshot.parquet',
      '00000000000000000004-*.delta.parquet',
      '00000000000000000005-*.delta.parquet',
      '00000000000000000006-*.snapshot.parquet',
    ]);
  });
});
