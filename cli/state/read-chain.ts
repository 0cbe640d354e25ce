import {
  type ChangelogVersion,
  chainObjects,
  type OperatorChain,
  objectKey,
  operatorDir,
  parseFileName,
  parseObjectName,
} from '../../engine/state/changelog/changelog-layout.js';
import { mapLimited } from '../../engine/state/changelog/changelog-reader.js';
import { decodeStateFile, type StateFileRow } from '../../engine/state/changelog/state-file-format.js';
import type { StateObjects } from '../../engine/state/changelog/state-objects.js';
import type { StateEntry } from '../../engine/state/state-store.js';
import { InvalidOptionError } from '../errors.js';

/** Parallel object reads: enough to hide S3 latency, few enough for the emulators. */
const READ_CONCURRENCY = 8;

/** One object of a committed chain, read. */
export interface ChainObject {
  readonly name: string;
  readonly kind: 'snapshot' | 'delta';
  readonly batchId: number;
  readonly attempt: string;
  readonly bytes: number;
  /** Rows in the object: every live key of a snapshot, the changed keys of a delta. */
  readonly rows: readonly StateFileRow[];
}

/** One operator's committed state on one shard, as `sluice state` reads it. */
export interface OperatorState {
  readonly shard: string;
  readonly operator: string;
  /** The committed version: its batch and attempt. */
  readonly batchId: number;
  readonly attempt: string;
  /** The chain's objects up to the batch asked for, oldest first. */
  readonly objects: readonly ChainObject[];
  /** The state as of that batch, by key. */
  readonly entries: ReadonlyMap<string, StateEntry>;
  /**
   * Objects in the operator's folder the commit does not name: attempts that never committed,
   * and chains a newer snapshot superseded (kept for readers of older versions, then deleted).
   */
  readonly unreferenced: number;
}

/** Which batch's state to read: the committed one, or an earlier one the chain still covers. */
export interface ReadChainOptions {
  /** Only this operator. */
  readonly operator?: string;
  /** The state as of this batch (default: the committed batch). */
  readonly batchId?: number;
}

/**
 * Reads the objects a shard's committed state version names (only those: the commit is the one
 * list of what makes up the state) and applies them oldest first, as the handler's cold load does.
 * `batchId` cuts the chain after that batch; a batch before the chain's snapshot is no longer
 * named by any commit, which is an error that says the earliest batch still readable.
 */
export async function readShardState(
  objects: StateObjects,
  shard: string,
  version: ChangelogVersion,
  options: ReadChainOptions = {},
): Promise<OperatorState[]> {
  const operators = Object.entries(version.operators)
    .filter(([operator]) => options.operator === undefined || operator === options.operator)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    operators.map(async ([operator, chain]) => {
      const named = namedUpTo(chain, shard, operator, version.batchId, options.batchId);
      const [read, listed] = await Promise.all([
        mapLimited(named, READ_CONCURRENCY, async (object) => {
          const body = await objects.get(objectKey(shard, operator, object.name, object.kind));
          return { ...object, bytes: body.byteLength, rows: await decodeStateFile(body) };
        }),
        objects.list(operatorDir(shard, operator)),
      ]);
      const entries = new Map<string, StateEntry>();
      for (const object of read) {
        for (const { key, entry } of object.rows) {
          if (entry === undefined) entries.delete(key);
          else entries.set(key, entry);
        }
      }
      const referenced = new Set(
        chainObjects(chain).map(({ name, kind }) => objectKey(shard, operator, name, kind)),
      );
      const unreferenced = listed.filter(
        (key) => parseFileName(key.split('/').at(-1) ?? '') !== undefined && !referenced.has(key),
      ).length;
      return {
        shard,
        operator,
        batchId: version.batchId,
        attempt: version.attempt,
        objects: read,
        entries,
        unreferenced,
      };
    }),
  );
}

/** The chain's objects with batch ids up to `upTo` (default: all of them). */
function namedUpTo(
  chain: OperatorChain,
  shard: string,
  operator: string,
  committed: number,
  upTo: number | undefined,
): Array<{ name: string; kind: 'snapshot' | 'delta'; batchId: number; attempt: string }> {
  const named = chainObjects(chain).map((object) => ({ ...object, ...parseObjectName(object.name) }));
  if (upTo === undefined) return named;
  const oldest = named[0]?.batchId;
  if (upTo > committed) {
    throw new InvalidOptionError(
      '--batch',
      upTo,
      `${shard} has committed up to batch ${committed}; use a batch at most ${committed}`,
    );
  }
  if (chain.snapshot !== undefined && oldest !== undefined && upTo < oldest) {
    throw new InvalidOptionError(
      '--batch',
      upTo,
      `operator ${operator} on ${shard} keeps state from its snapshot at batch ${oldest} on (earlier versions are no longer named by a commit); use a batch from ${oldest} to ${committed}`,
    );
  }
  return named.filter((object) => object.batchId <= upTo);
}

/**
 * The changes of the batches after `since` (up to the version read): one row per key a delta set
 * or deleted, oldest batch first. Needs the deltas of every batch after `since`, so `since` must
 * not be before the chain's snapshot.
 */
export function changesSince(
  state: OperatorState,
  since: number,
): Array<{ batchId: number; key: string; entry: StateEntry | undefined }> {
  const snapshot = state.objects.find((object) => object.kind === 'snapshot');
  if (snapshot !== undefined && since < snapshot.batchId) {
    throw new InvalidOptionError(
      '--changes-since',
      since,
      `operator ${state.operator} on ${state.shard} keeps the changes after its snapshot at batch ${snapshot.batchId} only; use a batch from ${snapshot.batchId} on`,
    );
  }
  const changes: Array<{ batchId: number; key: string; entry: StateEntry | undefined }> = [];
  for (const object of state.objects) {
    if (object.kind !== 'delta' || object.batchId <= since) continue;
    for (const { key, entry } of object.rows) changes.push({ batchId: object.batchId, key, entry });
  }
  return changes;
}
