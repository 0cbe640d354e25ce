import { type Command, Option } from 'commander';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface DeadLetterFlags extends TargetFlags {
  readonly batch?: string;
  readonly reason?: string;
  readonly shard?: string;
  readonly stage?: string;
}

interface ListFlags extends DeadLetterFlags {
  readonly format: 'table' | 'json' | 'jsonl' | 'csv' | 'records';
}

interface ReplayFlags extends DeadLetterFlags {
  readonly dryRun?: boolean;
  readonly again?: boolean;
}

const FILTER_HELP =
  'Filters combine: --batch takes ids and ranges (12, 3-7, 1,4,9-12), --reason a case-insensitive ' +
  "regular expression, --shard a shard id, --stage a two-stage query's stage (1 or 2).";

function addFilters(command: Command): Command {
  return command
    .option('--batch <ids>', 'only these batches, e.g. 12 or 3-7 or 1,4,9-12')
    .option('--reason <regex>', 'only letters whose reason matches (case-insensitive)')
    .option('--shard <id>', 'only letters of this shard')
    .option('--stage <stage>', "a two-stage query's stage: 1 (before the exchange, source records) or 2");
}

/** `sluice dead-letters <query>` and `sluice replay-dead-letters <query>` */
export function registerDeadLetters(program: Command): void {
  const list = program
    .command('dead-letters')
    .summary("list or export a query's dead letters (bytes and reason)")
    .description(
      'Read the dead letters of the batches a query committed — records it could not process, with the ' +
        'reason, the shard, the sequence number, the partition key and the original bytes — and print them. ' +
        '--format json/jsonl export them whole (data in base64); --format records prints each original ' +
        'record as one line, ready to fix and push again. A two-stage query shows both stages (stage 1 keeps ' +
        `its letters under <query>.stage-1), each letter naming its stage. ${FILTER_HELP}`,
    )
    .argument('<query>', 'query name, e.g. page-views')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['table', 'json', 'jsonl', 'csv', 'records'])
        .default('table'),
    );
  addFilters(list);
  addTargetOptions(list, ['bucket', 'prefix']);
  list.addHelpText(
    'after',
    '\nExamples:\n  sluice dead-letters page-views\n  sluice dead-letters page-views --reason "event time" --format jsonl > dead.jsonl\n' +
      '  sluice dead-letters orders --batch 40-45 --format records > to-fix.jsonl',
  );
  list.action(async (name: string, flags: ListFlags) => {
    const [{ selectDeadLetters }, { renderDeadLetters, unprintableRecords }, { withTarget }] =
      await Promise.all([
        import('../dead-letters/select.js'),
        import('../dead-letters/render.js'),
        import('./with-target.js'),
      ]);
    await withTarget(flags, async (target) => {
      const query = target.query(name);
      const letters = await selectDeadLetters(target, query, flags);
      if (letters.length === 0 && flags.format === 'table') {
        process.stdout.write(
          `no dead letters for ${query.name}${filtered(flags) ? ' match the filters' : ''}\n`,
        );
        return;
      }
      process.stdout.write(renderDeadLetters(flags.format, letters));
      if (flags.format === 'records') {
        const left = unprintableRecords(letters);
        if (left > 0)
          process.stderr.write(
            `${left} dead letter${left === 1 ? '' : 's'} left out: no record bytes, or not one line of text (use --format jsonl)\n`,
          );
      }
    });
  });

  const replay = program
    .command('replay-dead-letters')
    .summary('put dead letters back on the stream after a fix')
    .description(
      "Put a query's dead letters back on its stream as new records (same bytes, same partition key), once " +
        'the cause is fixed (a new deploy, a corrected producer): the batches that set them aside are not ' +
        'touched, so exactly-once of everything committed holds. Letters sent are recorded under ' +
        '_dead/_replayed/ and not sent twice unless --again. Letters an operator rejected after decoding ' +
        'kept no bytes and are skipped. A two-stage query: stage-1 letters go back to the source stream (never ' +
        'the internal one); stage-2 letters are exchange rows, not source records, and are never sent (export them). ' +
        FILTER_HELP,
    )
    .argument('<query>', 'query name, e.g. page-views')
    .option('-n, --dry-run', 'show what would be replayed, send nothing')
    .option('--again', 'also send letters a previous replay already sent');
  addFilters(replay);
  addTargetOptions(replay, ['bucket', 'prefix', 'stream']);
  replay.addHelpText(
    'after',
    '\nExamples:\n  sluice replay-dead-letters page-views --dry-run\n' +
      '  sluice replay-dead-letters orders --reason "amount" --batch 40-45\n' +
      '  sluice replay-dead-letters orders --aws --bucket my-outputs --stream orders-stream',
  );
  replay.action(async (name: string, flags: ReplayFlags) => {
    const [
      { selectDeadLetters },
      { replayDeadLetters, ReplayIncompleteError, summarizeReplay },
      { withTarget },
    ] = await Promise.all([
      import('../dead-letters/select.js'),
      import('../dead-letters/replay.js'),
      import('./with-target.js'),
    ]);
    await withTarget(flags, async (target) => {
      const query = target.query(name);
      const letters = await selectDeadLetters(target, query, flags);
      const report = await replayDeadLetters(target, query, letters, {
        ...(flags.stream === undefined ? {} : { stream: flags.stream }),
        dryRun: flags.dryRun === true,
        again: flags.again === true,
      });
      process.stdout.write(`${summarizeReplay(query.name, report)}\n`);
      if (report.failed > 0) throw new ReplayIncompleteError(report.failed);
    });
  });
}

function filtered(flags: DeadLetterFlags): boolean {
  return flags.batch !== undefined || flags.reason !== undefined || flags.shard !== undefined;
}
