/**
 * `npm start`: the four example queries of infra/app.ts running on this machine as they would on
 * AWS — embedded emulators (kinesalite, dynalite, s3rver), the app's streams, tables and buckets
 * provisioned from its synthesized template, and the local event source mappings invoking the
 * Lambda handlers in functions/. A generator pushes an hour and a quarter of shop traffic
 * (out-of-order, late, duplicate and malformed events included) while a live view shows each
 * query's shards; then each query's results are read back from S3 and printed as tables.
 */
import { fileURLToPath } from 'node:url';
import { startLocalStack } from '../cli/local/local-stack.js';
import { RecordPusher } from '../cli/push/record-pusher.js';
import { waitUntilCommitted } from '../cli/status/wait.js';
import { localTarget } from '../cli/target/resolve.js';
import { liveView } from '../cli/view/live-view.js';
import { ProgressBoard } from '../cli/view/progress-board.js';
import { startRefreshLoop } from '../cli/view/refresh-loop.js';
import { DEMO_ROUNDS, DemoGenerator, type DemoRound } from './generator.js';
import { printResults } from './results.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const out = process.stdout;
const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
/** Real time between rounds: the whole push takes about ten seconds. */
const ROUND_PAUSE_MS = 100;

out.write(
  'sluice demo: four streaming queries as Lambda functions on local emulators (one runs as two stages)\n',
);
out.write('starting kinesalite, dynalite and s3rver; synthesizing and provisioning infra/app.ts…\n');

let board: ProgressBoard | undefined;
const stack = await startLocalStack({
  projectRoot: fileURLToPath(new URL('..', import.meta.url)),
  app: 'infra/app.ts',
  runner: {
    onLog: ({ line }) => {
      board?.onLogLine(line);
    },
  },
});
const target = localTarget(stack.state);
try {
  board = new ProgressBoard(target.knownQueries);
  out.write(
    `ready after ${seconds()} s: ${stack.state.queries.map((query) => `${query.name} ← ${query.sources.join(', ')}`).join('; ')}\n\n`,
  );
  const view = liveView(board, out, 2_000);
  const refresh = startRefreshLoop(board, target, view, 1_000);

  const generator = new DemoGenerator();
  const streams = Object.fromEntries(
    stack.state.queries.flatMap((query) => query.sources.map((source) => [source, query.stream])),
  ) as Record<keyof DemoRound, string>;
  const pushers = Object.fromEntries(
    Object.entries(streams).map(([source, stream]) => [
      source,
      new RecordPusher({ client: stack.emulators.clients.kinesis, stream }),
    ]),
  ) as Record<keyof DemoRound, RecordPusher>;
  for (let round = 0; round < DEMO_ROUNDS; round++) {
    const records = generator.round(round);
    await Promise.all(
      (Object.keys(records) as (keyof DemoRound)[]).map(async (source) => {
        for (const record of records[source]) await pushers[source].push(record);
        await pushers[source].flush();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, ROUND_PAUSE_MS));
  }
  const counts = generator.counts;
  view.log(
    `pushed ${counts.pageViews + counts.late} page views (${counts.outOfOrder} out of order, ${counts.late} arriving 25 minutes late), ` +
      `${counts.userEvents} user events, ${counts.orders + counts.duplicateOrders} orders (${counts.duplicateOrders} duplicates), ${counts.adClicks} ad clicks, ` +
      `${counts.malformed} malformed records in ${seconds()} s; waiting for the functions to catch up…`,
  );
  await stack.runner.runUntilCaughtUp({ timeoutMs: 45_000 });
  await waitUntilCommitted(target, target.knownQueries, { timeoutMs: 30_000, pollMs: 100, settleMs: 500 });
  await refresh.stop();
  view.stop();
  await printResults(target, board, counts, out);
  const stats = stack.runner.stats();
  const functions = Object.values(stats.functions);
  const coldStarts = functions.reduce((sum, fn) => sum + fn.coldStarts, 0);
  out.write(
    `\n${stats.invocations} Lambda invocations (${coldStarts} cold starts), ${stats.functionErrors} function errors` +
      `${stats.functionErrors > 0 ? ' (retried as Lambda would; the results above are exactly-once anyway)' : ''}, ` +
      `${stats.recordsRead} records read; finished in ${seconds()} s\n`,
  );
  out.write(
    'try it yourself: npx sluice local up && npx sluice push page-views demo/events/page-views.jsonl && ' +
      'npx sluice status --wait && npx sluice query page-views\n',
  );
} finally {
  target.close();
  await stack.stop();
}
