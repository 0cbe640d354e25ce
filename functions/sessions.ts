import { kinesisHandler } from '../engine/aws/lambda/kinesis-handler.js';
import { sessionsQuery } from './queries/sessions.js';
import { runtimeFromEnvironment } from './runtime.js';

/** User sessions with an event-time timeout → JSON Lines (update). */
export const handler = kinesisHandler(sessionsQuery, {
  ...runtimeFromEnvironment(sessionsQuery.name),
  // A session row is keyed by user and start: readers keep the newest row per session.
  keyColumns: ['user', 'start'],
});
