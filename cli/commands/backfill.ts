import { type Command, Option } from 'commander';
import { InvalidOptionError } from '../errors.js';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface BackfillFlags extends TargetFlags {
  readonly as?: string;
  readonly input?: string;
  readonly from?: string;
  readonly to?: string;
  readonly queryModule?: string;
  readonly maxRecordsPerBatch?: string;
  readonly state?: 's3' | 'dynamodb';
  readonly format: 'text' | 'json';
}

/** `sluice backfill <query>` */
export function registerBackfill(program: Command): void {
  const command = program
    .command('backfill')
    .summary('run a query over a range of its stream or over S3 objects, then stop (Trigger.AvailableNow)')
    .description(
      "Run the query's deployed code path (the same handler: edge decoding, dead letters, exactly-once outputs, " +
        'progress) in this process over the records its stream holds when the backfill starts (or --from/--to ' +
        'arrival times), or over JSON Lines objects under --input s3://BUCKET/PREFIX/, then stop. It runs under ' +
        'its own name (--as, default QUERY-backfill) with its own checkpoints, state and outputs, so the running ' +
        'query is untouched; running it again resumes after what it committed (a failed batch is replayed exactly).',
    )
    .argument('<query>', 'the query to run, e.g. page-views')
    .option('--as <name>', "the backfill's own query name (default: QUERY-backfill)")
    .option(
      '--input <s3url>',
      'read JSON Lines objects under s3://BUCKET/PREFIX/ (key order) instead of the stream',
    )
    .option(
      '--from <time>',
      'first arrival time to read from the stream: ISO-8601 or epoch ms (default: the oldest record)',
    )
    .option('--to <time>', 'last arrival time to read (default: when the backfill starts)')
    .option(
      '--query-module <file>',
      'the module exporting the built query (default: functions/queries/QUERY.ts)',
    )
    .option(
      '--max-records-per-batch <n>',
      'records per micro-batch (default: up to 10,000, one batch per read)',
    )
    .addOption(new Option('--state <backend>', 'state backend').choices(['s3', 'dynamodb']))
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'),
    );
  addTargetOptions(command, ['table', 'bucket', 'prefix', 'stream']);
  command.addHelpText(
    'after',
    '\nExamples:\n  sluice backfill page-views\n  sluice backfill page-views --from 2026-01-15T00:00:00Z --to 2026-01-16T00:00:00Z --as page-views-jan15\n' +
      '  sluice backfill page-views --input s3://archive/page-views/2025/ --as page-views-2025\n  sluice query page-views-backfill',
  );
  command.action(async (name: string, flags: BackfillFlags) => {
    const [{ backfill, renderBackfill }, { parseTime }, { withTarget }] = await Promise.all([
      import('../backfill/run.js'),
      import('../checkpoint/repair.js'),
      import('./with-target.js'),
    ]);
    let maxRecordsPerBatch: number | undefined;
    if (flags.maxRecordsPerBatch !== undefined) {
      maxRecordsPerBatch = Number(flags.maxRecordsPerBatch);
      if (
        !Number.isSafeInteger(maxRecordsPerBatch) ||
        maxRecordsPerBatch < 1 ||
        maxRecordsPerBatch > 10_000
      ) {
        throw new InvalidOptionError(
          '--max-records-per-batch',
          flags.maxRecordsPerBatch,
          'give a whole number from 1 to 10000',
        );
      }
    }
    const result = await withTarget(flags, (target) =>
      backfill(target, {
        query: name,
        ...(flags.as === undefined ? {} : { as: flags.as }),
        ...(flags.input === undefined ? {} : { input: flags.input }),
        ...(flags.from === undefined ? {} : { fromMs: parseTime('--from', flags.from) }),
        ...(flags.to === undefined ? {} : { toMs: parseTime('--to', flags.to) }),
        ...(flags.queryModule === undefined ? {} : { queryModule: flags.queryModule }),
        ...(maxRecordsPerBatch === undefined ? {} : { maxRecordsPerBatch }),
        ...(flags.state === undefined ? {} : { state: flags.state }),
        log: (line) => process.stderr.write(`${line}\n`),
      }),
    );
    process.stdout.write(
      flags.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderBackfill(result),
    );
  });
}
