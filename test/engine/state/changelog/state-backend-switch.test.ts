import { describe, expect, it } from 'vitest';
import {
  count,
  MemoryCheckpointStore,
  MemoryStateStore,
  type StateStore,
  StreamExecution,
} from '../../../../engine/index.js';
import { ChangelogStateStore } from '../../../../engine/state/changelog/changelog-state-store.js';
import { MemoryStateObjects } from '../../../../engine/state/changelog/state-objects.js';
import { ManualClock, MemorySink, MemoryStream } from '../../../../engine/testkit/index.js';
import { MemoryBatchSource } from '../../../../engine/testkit/memory-batch-source.js';

function counting(words: MemoryStream<{ word: string }>) {
  return words
    .toStream()
    .groupBy('word')
    .agg({ n: count() })
    .writeStream.queryName('words')
    .outputMode('update')
    .build();
}

const execution = (
  words: MemoryStream<{ word: string }>,
  stateStore: StateStore,
  checkpoints: MemoryCheckpointStore,
) =>
  new StreamExecution({
    query: counting(words),
    source: new MemoryBatchSource([words]),
    stateStore,
    checkpoints,
    sink: new MemorySink(),
    clock: new ManualClock(0),
  });

describe('switching state backends on an existing checkpoint', () => {
  it('fails with an error naming the setting, instead of starting from empty state (S3 → DynamoDB and back)', async () => {
    for (const [first, second, committedWith] of [
      [
        () => new ChangelogStateStore({ objects: new MemoryStateObjects(), query: 'words' }),
        () => new MemoryStateStore(),
        's3',
      ],
      [
        () => new MemoryStateStore(),
        () => new ChangelogStateStore({ objects: new MemoryStateObjects(), query: 'words' }),
        'dynamodb',
      ],
    ] as const) {
      const words = new MemoryStream<{ word: string }>('words');
      const checkpoints = new MemoryCheckpointStore();
      words.addData({ word: 'a' });
      await execution(words, first(), checkpoints).processAllAvailable();
      words.addData({ word: 'a' });
      const run = execution(words, second(), checkpoints).processAllAvailable();
      await expect(run).rejects.toMatchObject({ code: 'SLUICE_STATE_BACKEND_CHANGED' });
      await expect(run).rejects.toThrow(new RegExp(`back to '${committedWith}'`));
    }
  });

  it('the same backend carries the count on', async () => {
    const words = new MemoryStream<{ word: string }>('words');
    const checkpoints = new MemoryCheckpointStore();
    const objects = new MemoryStateObjects();
    words.addData({ word: 'a' });
    await execution(
      words,
      new ChangelogStateStore({ objects, query: 'words' }),
      checkpoints,
    ).processAllAvailable();
    words.addData({ word: 'a' });
    const outcomes = await execution(
      words,
      new ChangelogStateStore({ objects, query: 'words' }),
      checkpoints,
    ).processAllAvailable();
    expect(outcomes.flatMap((outcome) => outcome.output)).toEqual([{ word: 'a', n: 2 }]);
  });
});
