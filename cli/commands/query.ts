import { type Command, Option } from 'commander';
import { formatRows, OUTPUT_FORMATS, type OutputFormat, plainRow } from '../query/format.js';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface QueryFlags extends TargetFlags {
  readonly format: OutputFormat;
  readonly sql?: string;
  readonly view: 'table' | 'log';
  readonly key?: string;
  readonly late?: boolean;
}

/** `sluice query <query>` */
export function registerQuery(program: Command): void {
  const command = program
    .command('query')
    .summary("print a query's results from S3")
    .description(
      "Read a query's outputs from S3 — only batches with a manifest, only the objects it lists — and print " +
        'them. Update and complete modes are upsert logs: the result table keeps the newest row per key. ' +
        'foreachBatch outputs are shown when the function wrote JSON (Lines) objects through the S3 helper. ' +
        '--sql runs SQL over the result (table `result`) with an embedded DuckDB, offline. ' +
        '--late prints the rows the watermark dropped instead (kept under PREFIX/QUERY/_late/ unless the ' +
        'query turned the late-rows output off): the batch, shard, operator, the time each was judged by ' +
        '(window end, session end or event time) and the watermark, then the row.',
    )
    .argument('<query>', 'query name, e.g. page-views')
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--sql <statement>', 'SQL over the result; the table is `result` (also "<query>")')
    .addOption(
      new Option('--view <view>', 'table: the result table; log: every row every batch wrote')
        .choices(['table', 'log'])
        .default('table'),
    )
    .option('--key <columns>', 'comma-separated key columns of an upsert log whose manifests name none')
    .option(
      '--late',
      'the rows the watermark dropped (with the operator and the watermark), not the results',
    );
  addTargetOptions(command, ['bucket', 'prefix']);
  command.addHelpText(
    'after',
    '\nExamples:\n  sluice query page-views\n  sluice query sessions --key user,start --format json\n' +
      '  sluice query page-views --sql "select page, sum(views) as views from result group by page order by views desc"\n' +
      '  sluice query page-views --aws --bucket my-outputs --format csv > page-views.csv\n' +
      '  sluice query page-views --late --format jsonl > late.jsonl',
  );
  command.action(async (name: string, flags: QueryFlags) => {
    const [{ readResults }, { readLateRows }, { runSql }, { withTarget }, { InvalidOptionError }] =
      await Promise.all([
        import('../query/read-results.js'),
        import('../query/read-late.js'),
        import('../query/sql.js'),
        import('./with-target.js'),
        import('../errors.js'),
      ]);
    if (flags.late && flags.key !== undefined)
      throw new InvalidOptionError(
        '--key',
        flags.key,
        'late rows are not an upsert log; drop --key with --late',
      );
    if (flags.late && flags.view === 'log')
      throw new InvalidOptionError(
        '--view',
        flags.view,
        'late rows are one view already; drop --view with --late',
      );
    await withTarget(flags, async (target) => {
      const query = target.query(name);
      if (flags.late) {
        const late = await readLateRows(target, query);
        const rows = late.rows.map((row) => plainRow(row, late.columns));
        if (flags.sql !== undefined) {
          const answer = await runSql(flags.sql, late.columns, rows, query.name);
          process.stdout.write(formatRows(flags.format, answer.columns, answer.rows));
        } else if (rows.length === 0 && flags.format === 'table') {
          process.stdout.write(
            `no late rows for ${query.name} (${late.batches} batch${late.batches === 1 ? '' : 'es'} written)\n`,
          );
        } else process.stdout.write(formatRows(flags.format, late.columns, rows));
        return;
      }
      const keyColumns = flags.key
        ?.split(',')
        .map((column) => column.trim())
        .filter((column) => column !== '');
      const result = await readResults(target, query, {
        view: flags.view,
        ...(keyColumns === undefined ? {} : { keyColumns }),
      });
      const rows = result.rows.map((row) => plainRow(row, result.columns));
      if (flags.sql !== undefined) {
        const answer = await runSql(flags.sql, result.columns, rows, query.name);
        process.stdout.write(formatRows(flags.format, answer.columns, answer.rows));
        return;
      }
      if (rows.length === 0 && flags.format === 'table') {
        process.stdout.write(
          `no results for ${query.name} yet (${result.batches} batch${result.batches === 1 ? '' : 'es'} written)\n`,
        );
        return;
      }
      process.stdout.write(formatRows(flags.format, result.columns, rows));
    });
  });
}
