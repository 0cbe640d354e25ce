/**
 * Profiles one path of one query alone:
 * `node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/handler-path/profile.ts [handler|engine] [pv|ysb]`,
 * then `npx tsx bench/profile-summary.ts .tmp/prof/<file>.cpuprofile`.
 */
import { makeKinesisEvents } from '../kinesis-events.js';
import { runEngine, runHandler } from './passes.js';
import { makeYsbEvents, pageViewsQuery, ysbQuery } from './queries.js';

const path = process.argv[2] ?? 'handler';
const which = process.argv[3] ?? 'pv';
const events =
  which === 'ysb'
    ? makeYsbEvents(6, 10_000)
    : makeKinesisEvents({
        events: 6,
        recordsPerEvent: 10_000,
        keys: 1_000,
        eventSpanMs: 10_000,
        startMs: Date.UTC(2024, 0, 1),
      });
const query = which === 'ysb' ? ysbQuery : () => pageViewsQuery('append');
const run = path === 'engine' ? runEngine : runHandler;
for (let pass = 0; pass < 6; pass++) {
  const figures = await run(events, query);
  console.log(
    `pass ${pass}: CPU ${figures.cpuMs.toFixed(1)} ms, GC ${figures.gcMs.toFixed(1)} ms, wall ${figures.wallMs.toFixed(1)} ms`,
  );
}
process.exit(0);
