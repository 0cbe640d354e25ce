import type { GroupingKey } from '../../plan/nodes.js';
import type { Row, TimeWindow } from '../../types.js';

/**
 * Encodes a group's key values as the state key. JSON keeps types apart (`1` vs `"1"`) and is
 * stable across runs, which replays rely on.
 *
 * Performance: one `JSON.stringify` per group and batch (the aggregation finds groups per row
 * without it, see `GroupIndex`). Faster-looking encodings built by concatenation (a cached
 * window-start prefix plus the rest) return V8 ropes, which made each of the key's later map
 * lookups slower than the concatenation saved; `JSON.stringify` returns a flat string.
 */
export function encodeKey(values: readonly unknown[]): string {
  return JSON.stringify(values);
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
