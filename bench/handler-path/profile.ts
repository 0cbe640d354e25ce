/**
 * Profiles the handler path alone (page views, 1,000 keys):
 * `node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/handler-path/profile.ts`, then
 * `npx tsx bench/profile-summary.ts .tmp/prof/<file>.cpuprofile`.
 */
import { makeKinesisEvents } from '../kinesis-events.js';
import { runHandler } from './passes.js';
import { pageViewsQuery } from './queries.js';

const events = makeKinesisEvents({
  events: 6,
  recordsPerEvent: 10_000,
  keys: 1_000,
  eventSpanMs: 10_000,
  startMs: Date.UTC(2024, 0, 1),
});
for (let pass = 0; pass < 4; pass++) {
  const figures = await runHandler(events, () => pageViewsQuery('append'));
  console.log(
    `pass ${pass}: CPU ${figures.cpuMs.toFixed(1)} ms, GC ${figures.gcMs.toFixed(1)} ms, wall ${figures.wallMs.toFixed(1)} ms`,
  );
}
process.exit(0);
