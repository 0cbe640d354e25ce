import { type GroupState, GroupStateTimeout, readStream } from '../../engine/index.js';
import type { PageView } from './page-views.js';
import { pageViewSchema } from './page-views.js';

/** A user's open session, kept as GroupState. */
interface SessionState {
  start: number;
  end: number;
  views: number;
  pages: string[];
}

/** One row per session change: `open` while it lasts, `closed` once 30 idle minutes pass in event time. */
export interface SessionRow {
  user: string;
  start: number;
  end: number;
  views: number;
  pages: number;
  status: 'open' | 'closed';
}

const IDLE_MS = 30 * 60_000;

/**
 * Sessionizes page views per user: a session closes when the watermark passes 30 minutes after
 * its last view (an event-time timeout). Emits the session's latest state each time it changes
 * (update mode: readers keep the newest row per (user, start)).
 */
export function updateSession(
  user: string,
  views: readonly PageView[],
  state: GroupState<SessionState>,
): SessionRow[] {
  if (state.hasTimedOut) {
    const closed = state.get();
    state.remove();
    return [toRow(user, closed, 'closed')];
  }
  const session: SessionState = state.getOption() ?? {
    start: Number.POSITIVE_INFINITY,
    end: 0,
    views: 0,
    pages: [],
  };
  for (const view of views) {
    session.start = Math.min(session.start, view.ts);
    session.end = Math.max(session.end, view.ts);
    session.views += 1;
    if (!session.pages.includes(view.page)) session.pages.push(view.page);
  }
  state.update(session);
  state.setTimeoutTimestamp(Math.max(session.end + IDLE_MS, state.getCurrentWatermarkMs()));
  return [toRow(user, session, 'open')];
}

function toRow(user: string, session: SessionState, status: SessionRow['status']): SessionRow {
  return {
    user,
    start: session.start,
    end: session.end,
    views: session.views,
    pages: session.pages.length,
    status,
  };
}

/**
 * User sessions, written as JSON Lines in update mode. Reads the `user-activity` stream, whose
 * producers use the user as partition key: a session's views must all reach one shard.
 */
export const sessionsQuery = readStream<PageView>('user-activity', {
  eventTime: 'ts',
  schema: pageViewSchema,
  partitionKey: 'user',
})
  .withWatermark('ts', '10 minutes')
  .groupByKey((view) => view.user)
  .flatMapGroupsWithState('update', updateSession, { timeout: GroupStateTimeout.EventTimeTimeout })
  .writeStream.queryName('sessions')
  .outputMode('update')
  .format('json')
  .build();
