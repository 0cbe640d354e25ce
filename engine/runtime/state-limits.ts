import { SluiceError } from '../errors.js';
import type { StateLimits, StateWrite } from '../state/state-store.js';

/**
 * Default bound on one group's state (JSON bytes), whatever the backend: well under DynamoDB's
 * 400 KB item, which holds a group's current and previous versions together, and small enough
 * that one runaway group (an unbounded `collectList`, a crawler's session) cannot exhaust memory.
 */
export const DEFAULT_MAX_STATE_BYTES_PER_GROUP = 128 * 1024;

/** A group's key or state breaks a limit of the state backend or of the query. */
export class StateLimitExceededError extends SluiceError {
  constructor(
    readonly limit: 'maxKeyBytes' | 'maxEntryBytes',
    namespace: string,
    key: string,
    bytes: number,
    max: number,
  ) {
    const shown = key.length > 80 ? `${key.slice(0, 80)}…` : key;
    super(
      'SLUICE_STATE_LIMIT_EXCEEDED',
      limit === 'maxKeyBytes'
        ? `state limit maxKeyBytes: the grouping key ${shown} of '${namespace}' takes ${bytes} bytes; the state backend allows ${max} (DynamoDB's sort key holds 1,024). Group by shorter values (e.g. a hash of a long field).`
        : `state limit maxEntryBytes: the state of group ${shown} of '${namespace}' would take about ${bytes} bytes, over the per-group limit of ${max} (option maxStateBytesPerGroup). Keep less state per group: aggregate instead of collecting rows, bound sessions, or shorten windows.`,
      { context: { limit, namespace, key: shown, bytes, max } },
    );
  }
}

/** The tighter of two sets of limits (a limit absent from both stays absent). */
export function tighterLimits(a: StateLimits | undefined, b: StateLimits | undefined): StateLimits {
  const pick = (x: number | undefined, y: number | undefined) =>
    x === undefined ? y : y === undefined ? x : Math.min(x, y);
  const maxKeyBytes = pick(a?.maxKeyBytes, b?.maxKeyBytes);
  const maxEntryBytes = pick(a?.maxEntryBytes, b?.maxEntryBytes);
  return {
    ...(maxKeyBytes === undefined ? {} : { maxKeyBytes }),
    ...(maxEntryBytes === undefined ? {} : { maxEntryBytes }),
  };
}

/**
 * Throws {@link StateLimitExceededError} for the first write (in write order) whose key or entry
 * breaks `limits`. Cheap for the common case: a key is measured only when its length could
 * exceed the limit, and an entry's walk stops as soon as it is over.
 */
export function checkStateLimits(
  namespace: string,
  writes: readonly StateWrite[],
  limits: StateLimits,
): void {
  const maxKey = limits.maxKeyBytes;
  const maxEntry = limits.maxEntryBytes;
  for (const write of writes) {
    if (maxKey !== undefined && write.key.length * 3 > maxKey) {
      const bytes = Buffer.byteLength(write.key, 'utf8');
      if (bytes > maxKey)
        throw new StateLimitExceededError('maxKeyBytes', namespace, write.key, bytes, maxKey);
    }
    if (maxEntry !== undefined && write.entry !== undefined) {
      const bytes = jsonBytesBeyond(write.entry, maxEntry);
      if (bytes > maxEntry)
        throw new StateLimitExceededError('maxEntryBytes', namespace, write.key, bytes, maxEntry);
    }
  }
}

/**
 * About how many bytes `value` takes as JSON (UTF-8), stopping early once past `limit` (the
 * result is then some number above it). Binary values count their bytes, bigints their digits.
 */
export function jsonBytesBeyond(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (item === null || item === undefined) total += 4;
    else if (typeof item === 'string') total += Buffer.byteLength(item, 'utf8') + 2;
    else if (typeof item === 'number' || typeof item === 'boolean') total += 8;
    else if (typeof item === 'bigint') total += item.toString().length;
    else if (item instanceof Uint8Array) total += Math.ceil((item.byteLength * 4) / 3);
    else if (Array.isArray(item)) {
      total += 2 + item.length;
      for (const element of item) stack.push(element);
    } else if (item instanceof Map || item instanceof Set) {
      for (const element of item.entries()) stack.push(element);
    } else if (typeof item === 'object') {
      for (const key in item as Record<string, unknown>) {
        total += key.length + 4;
        stack.push((item as Record<string, unknown>)[key]);
      }
      total += 2;
    } else total += 8;
    if (total > limit) return total;
  }
  return total;
}
