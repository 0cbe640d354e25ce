import { type Command, Option } from 'commander';
import { InvalidOptionError } from '../errors.js';
import { formatRows, OUTPUT_FORMATS, type OutputFormat } from '../query/format.js';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface StateFlags extends TargetFlags {
  readonly format: OutputFormat;
  readonly view: 'summary' | 'objects' | 'rows';
  readonly operator?: string;
  readonly shard?: string;
  readonly batch?: string;
  readonly changesSince?: string;
  readonly sql?: string;
}

/** `sluice state <query>` */
export function registerState(program: Command): void {
  const command = program
    .command('state')
    .summary("inspect a query's committed state (S3 state)")
    .description(
      "Read a query's committed state from the objects its checkpoints name (per shard and stateful " +
        "operator: the snapshot and the deltas after it), like Spark's state data source. --view summary " +
        '(default): the version, objects, sizes and keys per shard and operator; objects: each snapshot and ' +
        'delta; rows: the state itself, one row per key. --batch reads the state as of an earlier batch the ' +
        'chain still covers; --changes-since N lists what each later batch set or deleted. --sql runs SQL ' +
        'over the rows (table `state`) with an embedded DuckDB.',
    )
    .argument('<query>', 'query name, e.g. page-views')
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .addOption(
      new Option('--view <view>', 'summary, objects, or rows (the state)')
        .choices(['summary', 'objects', 'rows'])
        .default('summary'),
    )
    .option('--operator <id>', 'only this stateful operator (ids as --view summary shows them)')
    .option('--shard <id>', 'only this shard, e.g. shardId-000000000000')
    .option('--batch <n>', 'the state as of batch n (default: the committed batch)')
    .option('--changes-since <n>', 'the changes of the batches after n, one row per key set or deleted')
    .option('--sql <statement>', 'SQL over the state rows (or the changes); the table is `state`');
  addTargetOptions(command, ['table', 'bucket', 'prefix']);
  command.addHelpText(
    'after',
    '\nExamples:\n  sluice state page-views\n  sluice state page-views --view rows --format json\n' +
      '  sluice state page-views --changes-since 3\n' +
      '  sluice state page-views --sql "select operator, count(*) as keys from state group by operator"',
  );
  command.action(async (name: string, flags: StateFlags) => {
    const batchId = wholeNumber('--batch', flags.batch);
    const since = wholeNumber('--changes-since', flags.changesSince);
    const [
      { readQueryState, summaryTable, objectsTable, rowsTable, changesTable },
      { runSql },
      { withTarget },
    ] = await Promise.all([
      import('../state/query-state.js'),
      import('../query/sql.js'),
      import('./with-target.js'),
    ]);
    await withTarget(flags, async (target) => {
      const states = await readQueryState(target, target.query(name), {
        ...(flags.operator === undefined ? {} : { operator: flags.operator }),
        ...(flags.shard === undefined ? {} : { shard: flags.shard }),
        ...(batchId === undefined ? {} : { batchId }),
      });
      const table =
        since !== undefined
          ? changesTable(states, since)
          : flags.sql !== undefined || flags.view === 'rows'
            ? rowsTable(states)
            : flags.view === 'objects'
              ? objectsTable(states)
              : summaryTable(states);
      if (flags.sql !== undefined) {
        const answer = await runSql(flags.sql, table.columns, table.rows, 'state');
        process.stdout.write(formatRows(flags.format, answer.columns, answer.rows));
        return;
      }
      process.stdout.write(formatRows(flags.format, table.columns, table.rows));
    });
  });
}

function wholeNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < -1) {
    throw new InvalidOptionError(option, text, 'give a batch id (a whole number, as sluice status shows it)');
  }
  return value;
}
