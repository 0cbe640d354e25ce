import { expect } from 'vitest';
import {
  type DataStream,
  type GroupState,
  InvalidQueryError,
  type OutputMode,
  type QueryDefinition,
  readStream,
} from '../../../engine/index.js';

// Streams, state functions and assertions shared by the checker tests.

export interface Click {
  user: string;
  ad: string;
  ts: number;
  arrival: number;
  price: number;
}
export interface Impression {
  ad: string;
  shownAt: number;
}

export const clicks = () => readStream<Click>('clicks');
export const watermarkedClicks = () => clicks().withWatermark('ts', '10 seconds');
export const impressions = () => readStream<Impression>('impressions');
export const watermarkedImpressions = () => impressions().withWatermark('shownAt', '10 seconds');

/** A `mapGroupsWithState` function: clicks per user so far. */
export const perUser = (user: string, rows: readonly Click[], state: GroupState<number>) => {
  state.update((state.getOption() ?? 0) + rows.length);
  return { user, clicks: state.get() };
};

/** A `flatMapGroupsWithState` function: clicks per user in the batch. */
export const perUserFlat = (user: string, rows: readonly Click[]) => [
  { user, clicks: rows.length, ts: rows[0]?.ts ?? 0 },
];

/** Starts the writer of a query named `name` in `mode`. */
export const write = (stream: DataStream<any>, mode: OutputMode, name = 'q') =>
  stream.writeStream.queryName(name).outputMode(mode);

/** Rules whose error some test of the current file produced (test files do not share modules). */
export const producedRules = new Set<string>();

function errorOf(build: () => QueryDefinition): InvalidQueryError {
  try {
    build();
  } catch (error) {
    if (error instanceof InvalidQueryError) return error;
    throw error;
  }
  throw new Error('expected build() to throw InvalidQueryError');
}

/** Asserts the rule, its stable code, that the message names the query, and that it mentions each fix. */
export function expectRule(
  rule: string,
  build: () => QueryDefinition,
  ...mentions: string[]
): InvalidQueryError {
  const error = errorOf(build);
  expect(error.rule).toBe(rule);
  expect(error.code).toBe(`SLUICE_${rule}`);
  expect(error.message.startsWith(`[${rule}] Query `)).toBe(true);
  for (const text of mentions) expect(error.message).toContain(text);
  producedRules.add(rule);
  return error;
}
