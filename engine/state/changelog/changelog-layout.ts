import { StateStoreMisuseError } from '../../errors.js';
import type { BatchId } from '../../types.js';
import type { StateVersion } from '../state-store.js';

/**
 * Where changelog files live, relative to the query root `PREFIX/QUERY/` (format version 1):
 *
 * ```
 * _state/<shard>/<operator>/<batchId:020>-<attempt>.delta.parquet      the keys batch N changed
 * _state/<shard>/<operator>/<batchId:020>-<attempt>.snapshot.parquet   every key after batch N
 * ```
 * (`<batchId>` is `-1` for state adopted from parent shards; shard and operator ids are
 * URI-encoded.) Every attempt at a batch writes under its own attempt id, before the commit;
 * only the objects the commit names are ever read.
 */
export const CHANGELOG_LAYOUT = { formatVersion: 1, stateDir: '_state/' } as const;

/**
 * An operator's committed state: the latest snapshot (absent until the first one) and the
 * deltas after it, oldest first, as object names `<batchId>-<attempt>`.
 */
export interface OperatorChain {
  readonly snapshot?: string;
  readonly deltas: readonly string[];
  /** Bytes of the snapshot and of the deltas after it (the snapshot cadence compares them). */
  readonly snapshotBytes: number;
  readonly deltaBytes: number;
}

/**
 * The state version a commit records (`CommittedBatch.stateVersion`): which attempt at which
 * batch it is, and per stateful operator the objects that make up its state.
 */
export interface ChangelogVersion extends StateVersion {
  readonly format: 1;
  readonly batchId: BatchId;
  readonly attempt: string;
  readonly operators: Readonly<Record<string, OperatorChain>>;
}

export type ChangelogObjectKind = 'delta' | 'snapshot';

/** `<batchId>-<attempt>`: the name a version records. */
export const objectName = (batchId: BatchId, attempt: string): string => `${batchId}-${attempt}`;

/** `_state/<shard>/<operator>/` */
export function operatorDir(partition: string, operatorId: string): string {
  return `${CHANGELOG_LAYOUT.stateDir}${encodeURIComponent(partition)}/${encodeURIComponent(operatorId)}/`;
}

/** The key (relative to the query root) of a changelog object. */
export function objectKey(
  partition: string,
  operatorId: string,
  name: string,
  kind: ChangelogObjectKind,
): string {
  const { batchId, attempt } = parseObjectName(name);
  const padded = batchId < 0 ? String(batchId) : String(batchId).padStart(20, '0');
  return `${operatorDir(partition, operatorId)}${padded}-${attempt}.${kind}.parquet`;
}

const NAME = /^(-?\d+)-([0-9a-z]+)$/;
const FILE = /^(-?\d+)-([0-9a-z]+)\.(delta|snapshot)\.parquet$/;

export function parseObjectName(name: string): { batchId: BatchId; attempt: string } {
  const match = NAME.exec(name);
  if (match === null) throw new StateStoreMisuseError(`'${name}' is not a changelog object name.`, { name });
  return { batchId: Number(match[1]), attempt: match[2]! };
}

/** The parts of a changelog file name (the last path segment of its key), or `undefined`. */
export function parseFileName(
  file: string,
): { batchId: BatchId; attempt: string; kind: ChangelogObjectKind } | undefined {
  const match = FILE.exec(file);
  if (match === null) return undefined;
  return { batchId: Number(match[1]), attempt: match[2]!, kind: match[3] as ChangelogObjectKind };
}

/** Every object an operator's chain names, oldest first, with its kind. */
export function chainObjects(chain: OperatorChain): Array<{ name: string; kind: ChangelogObjectKind }> {
  return [
    ...(chain.snapshot === undefined ? [] : [{ name: chain.snapshot, kind: 'snapshot' as const }]),
    ...chain.deltas.map((name) => ({ name, kind: 'delta' as const })),
  ];
}

/** Checks that a commit's state version was written by this store's format. */
export function asChangelogVersion(version: StateVersion | undefined): ChangelogVersion | undefined {
  if (version === undefined) return undefined;
  if (version.format !== CHANGELOG_LAYOUT.formatVersion || typeof version.attempt !== 'string') {
    throw new StateStoreMisuseError(
      `The checkpoint's state version ${JSON.stringify(version).slice(0, 200)} was not written by the S3 changelog state store (format ${CHANGELOG_LAYOUT.formatVersion}). A query cannot switch state backends on an existing checkpoint: keep its 'state' setting, or start it under a new query name.`,
      { version },
    );
  }
  return version as ChangelogVersion;
}

export const sameVersion = (a: ChangelogVersion | undefined, b: ChangelogVersion | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.batchId === b.batchId && a.attempt === b.attempt);
