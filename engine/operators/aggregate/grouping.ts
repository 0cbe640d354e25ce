import { latestWindowStart } from '../../api/windows.js';
import type { GroupingKey } from '../../plan/nodes.js';
import type { Row, TimeWindow } from '../../types.js';

/**
 * Encodes a group's key values as the state key. JSON keeps types apart (`1` vs `"1"`) and is
 * stable across runs, which replays rely on.
 */
export function encodeKey(values: readonly unknown[]): string {
  return JSON.stringify(values);
}

/** Calls `visit(start)` for each window of `key` containing time `t`, latest start first. */
export function forEachWindow(
  key: Extract<GroupingKey, { kind: 'window' }>,
  t: number,
  visit: (start: number) => void,
): void {
  const last = latestWindowStart(t, key.slideMs, key.startMs);
  for (let start = last; start > t - key.durationMs; start -= key.slideMs) visit(start);
}

/** Writes the key columns of an output row: plain columns by name, a window as `window`. */
export function writeKeyColumns(keys: readonly GroupingKey[], values: readonly unknown[], out: Row): void {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.kind === 'column') out[key.column] = values[i];
    else if (key.kind === 'window') {
      const start = values[i] as number;
      out.window = { start, end: start + key.durationMs } satisfies TimeWindow;
    } else out.session_window = values[i];
  }
}
