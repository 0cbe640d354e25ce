import type { BatchId } from '../../types.js';
import {
  chainObjects,
  type OperatorChain,
  operatorDir,
  parseFileName,
  parseObjectName,
} from './changelog-layout.js';
import type { StateObjects } from './state-objects.js';

/**
 * Deletes an operator's objects that no reader needs, when batch `batchId` writes a new snapshot
 * (so the cost is paid once per snapshot, not per batch). `committed` is the chain of the
 * committed version before `batchId`; it stays readable (as does everything from `batchId` on),
 * so a reader of the previous version, or an older `sluice state --batch`, still finds it:
 *
 * - objects of batches before `committed`'s snapshot: superseded chains;
 * - objects of batches before `batchId` that `committed` does not name: attempts that never
 *   committed (a crash, a zombie). No attempt at a batch before `batchId` can commit any more:
 *   the checkpoint already holds a later pending batch.
 *
 * Objects of `batchId` itself are kept: another attempt at it may still win the commit.
 * Failures are ignored: garbage is never read, and the next snapshot tries again.
 */
export async function removeGarbage(
  objects: StateObjects,
  partition: string,
  operatorId: string,
  committed: OperatorChain,
  batchId: BatchId,
): Promise<number> {
  try {
    const dir = operatorDir(partition, operatorId);
    const named = new Set(chainObjects(committed).map(({ name }) => name));
    const keepFrom =
      committed.snapshot === undefined
        ? Number.NEGATIVE_INFINITY
        : parseObjectName(committed.snapshot).batchId;
    const garbage: string[] = [];
    for (const key of await objects.list(dir)) {
      const file = parseFileName(key.slice(dir.length));
      if (file === undefined || file.batchId >= batchId) continue;
      if (file.batchId < keepFrom || !named.has(`${file.batchId}-${file.attempt}`)) garbage.push(key);
    }
    if (garbage.length > 0) await objects.delete(garbage);
    return garbage.length;
  } catch {
    return 0;
  }
}
