import { type Command, Option } from 'commander';
import { InvalidOptionError, QueryRequiredError } from '../errors.js';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface StatusFlags extends TargetFlags {
  readonly wait?: boolean;
  readonly timeout: string;
  readonly format: 'table' | 'json';
}

/** Default `--timeout` of `--wait`, seconds. */
export const DEFAULT_WAIT_TIMEOUT_S = 120;

/** `sluice status [query]` */
export function registerStatus(program: Command): void {
  const command = program
    .command('status')
    .summary('per-shard checkpoints, watermark, lag and last batch of queries')
    .description(
      'Show, per shard: the committed sequence number, the last batch id, the watermark, the lag behind ' +
        "the stream tip (data records not yet committed) and the last batch's progress. Locally every " +
        'query of the stack is shown unless one is named. --wait blocks until every record in the stream ' +
        'when it starts is committed.',
    )
    .argument('[query]', 'query name (required on AWS)')
    .option('-w, --wait', 'wait until every record pushed so far is committed')
    .option('--timeout <seconds>', 'give up waiting after this long', String(DEFAULT_WAIT_TIMEOUT_S))
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'),
    );
  addTargetOptions(command, ['table', 'bucket', 'prefix', 'stream']);
  command.addHelpText(
    'after',
    '\nExamples:\n  sluice status\n  sluice push page-views events.jsonl && sluice status page-views --wait\n' +
      '  sluice status page-views --aws --table my-state --stream my-stream --bucket my-outputs',
  );
  command.action(async (name: string | undefined, flags: StatusFlags) => {
    const timeoutS = Number(flags.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
      throw new InvalidOptionError('--timeout', flags.timeout, 'give a positive number of seconds');
    }
    const [{ renderStatus, statusJson }, { readQueryStatus }, { waitUntilCommitted }, { withTarget }] =
      await Promise.all([
        import('../status/render.js'),
        import('../status/query-status.js'),
        import('../status/wait.js'),
        import('./with-target.js'),
      ]);
    await withTarget(flags, async (target) => {
      if (name === undefined && target.mode === 'aws') {
        throw new QueryRequiredError();
      }
      const queries = name === undefined ? target.knownQueries : [target.query(name)];
      if (flags.wait === true) {
        let lastReport = performance.now();
        await waitUntilCommitted(target, queries, {
          timeoutMs: timeoutS * 1000,
          pollMs: target.mode === 'local' ? 200 : 2_000,
          settleMs: target.mode === 'local' ? 1_000 : 5_000,
          onPoll: (behind) => {
            if (behind.length > 0 && performance.now() - lastReport > 5_000) {
              lastReport = performance.now();
              process.stderr.write(`waiting for ${behind.join(', ')}\n`);
            }
          },
        });
      }
      const statuses = await Promise.all(queries.map((query) => readQueryStatus(target, query)));
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify(statuses.map(statusJson), null, 2)}\n`);
      } else {
        process.stdout.write(statuses.map((status) => renderStatus(status)).join('\n'));
      }
    });
  });
}
