import { type Command, Option } from 'commander';
import type { KinesisEngine } from '../../local/emulators/index.js';

/** How long `local up` waits for the stack by default (synthesis and emulators take seconds). */
const DEFAULT_UP_TIMEOUT_S = 180;

import { InvalidOptionError } from '../errors.js';

interface StackFlags {
  readonly app?: string;
  readonly stack?: string;
  readonly kinesis: KinesisEngine;
}

function addStackOptions(command: Command): Command {
  return command
    .option('--app <file>', "the CDK app's entry file (default: the .ts/.js file of cdk.json's app command)")
    .option('--stack <name>', 'the stack to run when the app has several')
    .addOption(
      new Option(
        '--kinesis <engine>',
        'Kinesis emulator: kinesalite (fast) or kinesis-local (faithful, slow)',
      )
        .choices(['kinesalite', 'kinesis-local'])
        .default('kinesalite'),
    );
}

function forwarded(flags: StackFlags): string[] {
  return [
    ...(flags.app === undefined ? [] : ['--app', flags.app]),
    ...(flags.stack === undefined ? [] : ['--stack', flags.stack]),
    '--kinesis',
    flags.kinesis,
  ];
}

/** `sluice local run | up | down` */
export function registerLocal(program: Command): void {
  const local = program
    .command('local')
    .summary('run the CDK app on local emulators')
    .description(
      'Run the CDK app on this machine: kinesalite (or kinesis-local), dynalite and s3rver on 127.0.0.1, the ' +
        "app's streams, tables and buckets created from its synthesized template, and a local event source " +
        'mapping per query invoking the TypeScript handlers as Lambda would. No Docker, no AWS account. ' +
        'The endpoints go to .sluice/local.json (SLUICE_STATE_DIR moves it), which push, query and status use.',
    );

  const run = local
    .command('run')
    .summary('run the local stack in the foreground with a live view (Ctrl-C stops it)')
    .description(
      'Start the local stack and show, per query and shard, batches, rows, rows/s, watermark, lag behind the ' +
        'stream tip and dead letters, until Ctrl-C.',
    )
    .option('-v, --verbose', 'print every line the functions log')
    .addOption(new Option('--background').hideHelp());
  addStackOptions(run).action(async (flags: StackFlags & { verbose?: boolean; background?: boolean }) => {
    const { runLocal } = await import('../local/run.js');
    await runLocal({
      projectRoot: process.cwd(),
      kinesis: flags.kinesis,
      ...(flags.app === undefined ? {} : { app: flags.app }),
      ...(flags.stack === undefined ? {} : { stack: flags.stack }),
      ...(flags.verbose === undefined ? {} : { verbose: flags.verbose }),
      ...(flags.background === undefined ? {} : { background: flags.background }),
    });
  });

  const up = local
    .command('up')
    .summary('start the local stack in the background')
    .description(
      'Start the local stack in a background process (output in .sluice/local.log) and return once it is ready.',
    )
    .option('--timeout <seconds>', 'give up after this long', String(DEFAULT_UP_TIMEOUT_S));
  addStackOptions(up).action(async (flags: StackFlags & { timeout: string }) => {
    const timeoutS = Number(flags.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
      throw new InvalidOptionError('--timeout', flags.timeout, 'give a positive number of seconds');
    }
    const [{ findAppEntry }, { localUp }] = await Promise.all([
      import('../local/app-entry.js'),
      import('../local/up.js'),
    ]);
    await findAppEntry(process.cwd(), flags.app); // a wrong --app fails here, not in the background
    const { state, alreadyRunning } = await localUp(forwarded(flags), timeoutS);
    process.stdout.write(
      `${alreadyRunning ? 'local stack already running' : 'local stack up'} (pid ${state.pid}):\n${state.queries
        .map(
          (query) =>
            `  ${query.name} ← stream ${query.stream}${query.sources.length > 0 ? ` (push to ${query.sources.join(', ')})` : ''}`,
        )
        .join('\n')}\nstop it with \`sluice local down\`\n`,
    );
  });

  local
    .command('down')
    .summary('stop the background local stack')
    .description('Stop the stack `sluice local up` started (its emulators keep nothing: data is gone).')
    .action(async () => {
      const { localDown } = await import('../local/down.js');
      const pid = await localDown();
      process.stdout.write(
        pid === undefined ? 'no local stack running\n' : `local stack stopped (pid ${pid})\n`,
      );
    });
}
