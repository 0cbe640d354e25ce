import { type Command, Option } from 'commander';
import { formatRows, OUTPUT_FORMATS, type OutputFormat, plainRow } from '../query/format.js';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface QueryFlags extends TargetFlags {
  readonly format: OutputFormat;
  readonly sql?: string;
  readonly view: 'table' | 'log';
  readonly key?: string;
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
        '--sql runs SQL over the result (table `result`) with an embedded DuckDB, offline.',
    )
    .argument('<query>', 'query name, e.g. page-views')
    .addOption(new Option('-f, --format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--sql <statement>', 'SQL over the result; the table is `result` (also "<query>")')
    .addOption(
      new Option('--view <view>', 'table: the result table; log: every row every batch wrote')
        .choices(['table', 'log'])
        .default('table'),
    )
    .option('--key <columns>', 'comma-separated key columns of an upsert log whose manifests name none');
  addTargetOptions(command, ['bucket', 'prefix']);
  command.addHelpText(
    'after',
    '\nExamples:\n  sluice query page-views\n  sluice query sessions --key user,start --format json\n' +
      '  sluice query page-views --sql "select page, sum(views) as views from result group by page order by views desc"\n' +
      '  sluice query page-views --aws --bucket my-outputs --format csv > page-views.csv',
  );
  command.action(async (name: string, flags: QueryFlags) => {
    const [{ readResults }, { runSql }, { withTarget }] = await Promise.all([
      import('../query/read-results.js'),
      import('../query/sql.js'),
      import('./with-target.js'),
    ]);
    await withTarget(flags, async (target) => {
      const query = target.query(name);
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
