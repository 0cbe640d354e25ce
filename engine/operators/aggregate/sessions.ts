/**
 * One session of a group: the window `[start, end)` and one accumulator per aggregate. Plain
 * data, stored as is in the group's state entry; never mutated once built (a stored session may
 * be read again by a replay of the same batch).
 */
export interface Session {
  readonly start: number;
  readonly end: number;
  readonly a: readonly unknown[];
}

/** Combines the accumulators of two sessions; must not mutate either argument. */
export type MergeAccumulators = (a: readonly unknown[], b: readonly unknown[]) => unknown[];

/**
 * Merges two lists of sessions, each sorted by start, into one list sorted by start. On equal
 * starts `first` comes before `second`, so the order of merged accumulators (e.g. of
 * `collectList`) does not depend on how ties were met.
 */
export function interleaveByStart(first: readonly Session[], second: readonly Session[]): Session[] {
  const out: Session[] = [];
  let i = 0;
  let j = 0;
  while (i < first.length && j < second.length) {
    if (second[j]!.start < first[i]!.start) out.push(second[j++]!);
    else out.push(first[i++]!);
  }
  while (i < first.length) out.push(first[i++]!);
  while (j < second.length) out.push(second[j++]!);
  return out;
}

/**
 * Collapses sessions sorted by start into disjoint ones, like Spark's `MergingSessionsIterator`:
 * two sessions merge when they overlap or touch (`previous.end >= next.start`), so chains of
 * merges (a new event bridging two stored sessions) come out as one session. A merged session
 * is a new object; sessions that merge with nothing are returned as they were.
 */
export function mergeSessions(sorted: readonly Session[], merge: MergeAccumulators): Session[] {
  const out: Session[] = [];
  let current: Session | undefined;
  for (const next of sorted) {
    if (current === undefined) {
      current = next;
    } else if (current.end >= next.start) {
      current = {
        start: current.start,
        end: Math.max(current.end, next.end),
        a: merge(current.a, next.a),
      };
    } else {
      out.push(current);
      current = next;
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}

/**
 * Splits a group's disjoint sessions (sorted by start, hence by end) into those that closed at
 * the watermark (`end ≤ watermarkMs`) and those still open.
 */
export function splitClosedSessions(
  sessions: readonly Session[],
  watermarkMs: number,
): { closed: Session[]; open: Session[] } {
  let cut = 0;
  while (cut < sessions.length && sessions[cut]!.end <= watermarkMs) cut++;
  return { closed: sessions.slice(0, cut), open: sessions.slice(cut) };
}
