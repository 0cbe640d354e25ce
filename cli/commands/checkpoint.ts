import { type Command, Option } from 'commander';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface RepairFlags extends TargetFlags {
  readonly force?: boolean;
  readonly format: 'text' | 'json';
}

interface ResetFlags extends RepairFlags {
  readonly to: string;
  readonly shard?: string[];
}

interface SkipFlags extends RepairFlags {
  readonly shard: string;
  readonly through: string;
}

const FORCE_HELP =
  'repair even under a pending batch (one planned and not committed: in flight, or failing); a skip then drops it';

/** `sluice checkpoint reset-watermark|skip <query>` */
export function registerCheckpoint(program: Command): void {
  const checkpoint = program
    .command('checkpoint')
    .summary("repair a shard's checkpoint: lower its watermark, or skip a range of records")
    .description(
      "Operator repairs of a query's per-shard checkpoints, each one conditional update of the checkpoint " +
        'item that fails, changing nothing, if a batch commits meanwhile; the item keeps the repair as ' +
        '`lastRepair`. Never edit checkpoint items by hand. Both refuse a shard with a pending batch unless --force.',
    );

  const reset = checkpoint
    .command('reset-watermark')
    .summary("lower a shard's watermark so rows it now drops as late are accepted again")
    .description(
      'Lower the watermark of the given shards (every shard with a commit when none is given; shards already ' +
        'at or below the time are left alone) to --to, e.g. after a record stamped far in the future moved it. ' +
        'Windows and state already emitted or evicted are not brought back: later rows for them start new ' +
        'groups (in append mode a second row for the same window).',
    )
    .argument('<query>', 'query name, e.g. page-views')
    .requiredOption('--to <time>', 'the new watermark: ISO-8601 (2026-01-15T09:00:00Z) or epoch milliseconds')
    .option('--shard <id...>', 'the shards to reset (default: every shard whose watermark is later)')
    .option('--force', FORCE_HELP);
  addFormat(reset);
  addTargetOptions(reset, ['table']);
  reset.addHelpText(
    'after',
    '\nExamples:\n  sluice checkpoint reset-watermark page-views --to 2026-01-15T09:00:00Z\n' +
      '  sluice checkpoint reset-watermark sessions --shard shardId-000000000001 --to 1768467600000 --aws --table my-state',
  );
  reset.action(async (name: string, flags: ResetFlags) => {
    const [{ describeRepair, parseTime, resetWatermarks }, { withTarget }] = await Promise.all([
      import('../checkpoint/repair.js'),
      import('./with-target.js'),
    ]);
    const toMs = parseTime('--to', flags.to);
    await withTarget(flags, async (target) => {
      const query = target.query(name);
      const { repairs, unchanged } = await resetWatermarks(
        target,
        query,
        flags.shard,
        toMs,
        flags.force === true,
      );
      if (flags.format === 'json') {
        process.stdout.write(`${JSON.stringify({ query: query.name, repairs, unchanged }, null, 2)}\n`);
        return;
      }
      const lines = [
        ...repairs.map(describeRepair),
        ...unchanged.map(
          (shard) => `${shard}: watermark already at or before ${new Date(toMs).toISOString()}, unchanged`,
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  });

  const skip = checkpoint
    .command('skip')
    .summary("give up a shard's records up to a sequence number")
    .description(
      "Move a shard's committed position to --through (inclusive): those records are never processed and are " +
        'in no output or dead letter, so use it only for data you accept to lose (the repair is recorded on ' +
        'the checkpoint item). It never rewinds. For a record that blocks its shard, prefer a fix and a redeploy; ' +
        'take the sequence number from `sluice dead-letters` or the stream.',
    )
    .argument('<query>', 'query name, e.g. page-views')
    .requiredOption('--shard <id>', 'the shard, e.g. shardId-000000000000')
    .requiredOption('--through <sequence-number>', 'the last sequence number to skip')
    .option('--force', FORCE_HELP);
  addFormat(skip);
  addTargetOptions(skip, ['table']);
  skip.addHelpText(
    'after',
    '\nExample:\n  sluice checkpoint skip orders --shard shardId-000000000000 --through 49650000000000000000000000000000000000000000000000000002',
  );
  skip.action(async (name: string, flags: SkipFlags) => {
    const [{ describeRepair, skipRange }, { withTarget }] = await Promise.all([
      import('../checkpoint/repair.js'),
      import('./with-target.js'),
    ]);
    await withTarget(flags, async (target) => {
      const query = target.query(name);
      const repair = await skipRange(target, query, flags.shard, flags.through, flags.force === true);
      process.stdout.write(
        flags.format === 'json'
          ? `${JSON.stringify({ query: query.name, repairs: [repair], unchanged: [] }, null, 2)}\n`
          : `${describeRepair(repair)}\n`,
      );
    });
  });
}

function addFormat(command: Command): void {
  command.addOption(
    new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'),
  );
}
