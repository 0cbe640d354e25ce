import type { Command } from 'commander';
import { addTargetOptions, type TargetFlags } from '../target/options.js';

interface PushFlags extends TargetFlags {
  readonly partitionKey?: string;
  readonly strictOrder?: boolean;
}

/** `sluice push <stream> [file|-]` */
export function registerPush(program: Command): void {
  const command = program
    .command('push')
    .summary('push JSON Lines events to a Kinesis stream')
    .description(
      'Push JSON Lines to a Kinesis stream with PutRecords (500 records per call). Each line is one ' +
        'record; its partition key is the value of the --partition-key field (default: the field the reading query declares). ' +
        'Failed records are retried with backoff, records of one partition key keep their order, malformed ' +
        'lines are reported with their line number and skipped (the exit status is then 1).',
    )
    .argument('<stream>', 'stream name (locally also a query name or source name, e.g. page-views)')
    .argument('[file]', "JSON Lines file, or '-' for standard input", '-')
    .option('-k, --partition-key <field>', 'the field whose value is the partition key')
    .option(
      '--strict-order',
      'at most one record per partition key per call (slower; order holds even under partial failures)',
    );
  addTargetOptions(command, []);
  command.addHelpText(
    'after',
    '\nExamples:\n  sluice push page-views events.jsonl\n  cat orders.jsonl | sluice push orders - --partition-key orderId\n  sluice push my-stream events.jsonl --aws --region eu-west-1 -k user',
  );
  command.action(async (stream: string, file: string, flags: PushFlags) => {
    const [{ push }, { withTarget }] = await Promise.all([
      import('../push/push.js'),
      import('./with-target.js'),
    ]);
    await withTarget(flags, (target) =>
      push(target, {
        stream,
        file,
        ...(flags.partitionKey === undefined ? {} : { partitionKey: flags.partitionKey }),
        ...(flags.strictOrder === undefined ? {} : { strictOrder: flags.strictOrder }),
      }),
    );
  });
}
