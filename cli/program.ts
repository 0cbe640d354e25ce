import { Command } from 'commander';
import { registerBackfill } from './commands/backfill.js';
import { registerCheckpoint } from './commands/checkpoint.js';
import { registerDeadLetters } from './commands/dead-letters.js';
import { registerInit } from './commands/init.js';
import { registerLocal } from './commands/local.js';
import { registerPush } from './commands/push.js';
import { registerQuery } from './commands/query.js';
import { registerState } from './commands/state.js';
import { registerStatus } from './commands/status.js';
import { registerUi } from './commands/ui.js';

/** The `sluice` command and its subcommands. */
export function buildProgram(): Command {
  const program = new Command('sluice')
    .description(
      "Spark Structured Streaming's model on Kinesis-triggered AWS Lambda: push events, watch progress, " +
        'query outputs — on AWS or on the local emulators, with the same commands.',
    )
    .version('0.1.0')
    // Set before the subcommands exist: they copy these settings when created.
    .exitOverride()
    // Usage errors on one line, like every other error, with where to look.
    .configureOutput({
      outputError: (text, write) =>
        write(
          `sluice: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')} (see --help)\n`,
        ),
    })
    .addHelpText(
      'after',
      '\nTarget: --local (or a running `sluice local up`) uses the local stack; otherwise AWS with the\n' +
        'standard environment and profiles (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL) and the resource\n' +
        'flags or SLUICE_BUCKET, SLUICE_TABLE, SLUICE_PREFIX, SLUICE_STREAM.',
    );
  registerInit(program);
  registerLocal(program);
  registerPush(program);
  registerQuery(program);
  registerStatus(program);
  registerState(program);
  registerUi(program);
  registerDeadLetters(program);
  registerCheckpoint(program);
  registerBackfill(program);
  return program;
}
