import type { PoisonedRecord } from '../../checkpoint/checkpoint-store.js';
import type { Row } from '../../types.js';
import type { BatchInput, DeadLetter, RecordOrigin } from '../dead-letter.js';

/** The operator name dead letters of isolated poison rows carry. */
export const POISON_OPERATOR = 'poison-isolation';

/** One input row of a batch, addressed the way {@link PoisonedRecord} addresses it. */
export interface InputRowRef {
  readonly source: string;
  readonly index: number;
}

/**
 * The batch's input rows in one deterministic order: sources in plan order (then any other source
 * the input holds, by name), rows in their order within the source.
 */
export function inputOrder(input: BatchInput, planSources: readonly string[]): InputRowRef[] {
  const names = [
    ...planSources,
    ...[...input.rows.keys()].filter((name) => !planSources.includes(name)).sort(),
  ];
  const refs: InputRowRef[] = [];
  for (const source of names) {
    const rows = input.rows.get(source) ?? [];
    for (let index = 0; index < rows.length; index++) refs.push({ source, index });
  }
  return refs;
}

/** The rows of `refs`, per source, in input order. */
export function rowsOf(input: BatchInput, refs: readonly InputRowRef[]): Map<string, Row[]> {
  const rows = new Map<string, Row[]>();
  for (const { source, index } of refs) {
    const row = input.rows.get(source)![index]!;
    const list = rows.get(source);
    if (list === undefined) rows.set(source, [row]);
    else list.push(row);
  }
  return rows;
}

/** Where an input row came from, if the source said. */
export function originOf(input: BatchInput, ref: InputRowRef): RecordOrigin | undefined {
  return input.originOf?.(ref.source, ref.index);
}

/**
 * The input with the batch's poisoned rows taken out and added to its dead letters (after the
 * decoding failures, in the order they were found), each with its bytes, position and reason.
 */
export function withoutPoison(
  input: BatchInput,
  poisoned: readonly PoisonedRecord[] | undefined,
): BatchInput {
  if (poisoned === undefined || poisoned.length === 0) return input;
  const removed = new Map<string, Set<number>>();
  for (const record of poisoned) {
    let indexes = removed.get(record.source);
    if (indexes === undefined) {
      indexes = new Set();
      removed.set(record.source, indexes);
    }
    indexes.add(record.index);
  }
  const rows = new Map<string, readonly Row[]>();
  for (const [source, list] of input.rows) {
    const indexes = removed.get(source);
    rows.set(source, indexes === undefined ? list : list.filter((_, i) => !indexes.has(i)));
  }
  const deadLetters: DeadLetter[] = [...input.deadLetters];
  for (const record of poisoned) {
    const row = input.rows.get(record.source)?.[record.index];
    const origin = originOf(input, record);
    deadLetters.push({
      reason: `poison: ${record.reason}`,
      source: record.source,
      operator: POISON_OPERATOR,
      ...(origin?.position === undefined
        ? record.position === undefined
          ? {}
          : { position: record.position }
        : { position: origin.position }),
      ...(origin?.partitionKey === undefined ? {} : { partitionKey: origin.partitionKey }),
      ...(origin?.data === undefined ? {} : { data: origin.data }),
      ...(row === undefined ? {} : { row }),
    });
  }
  // Indexes no longer match `rows`, so the origins go: nothing after isolation asks for them.
  const { originOf: _dropped, ...rest } = input;
  return { ...rest, rows, deadLetters };
}
