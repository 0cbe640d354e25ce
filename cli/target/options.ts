import { type Command, Option } from 'commander';

/** Connection flags shared by the commands that talk to Kinesis, DynamoDB or S3. */
export interface TargetFlags {
  readonly local?: boolean;
  readonly aws?: boolean;
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
  readonly bucket?: string;
  readonly table?: string;
  readonly prefix?: string;
  readonly stream?: string;
}

/** Which resource flags a command takes (each falls back to its `SLUICE_*` variable). */
export type ResourceFlag = 'bucket' | 'table' | 'prefix' | 'stream';

/**
 * Adds the target flags to a command. Without `--local` or `--aws`, a running local stack
 * (`.sluice/local.json`, written by `sluice local up`) wins; otherwise AWS is used with the
 * standard environment and profiles (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, ...).
 */
export function addTargetOptions(command: Command, resources: readonly ResourceFlag[]): Command {
  command
    .addOption(new Option('--local', 'use the local stack started by `sluice local up`').conflicts('aws'))
    .addOption(new Option('--aws', 'use AWS even when a local stack is running'))
    .addOption(new Option('--region <region>', 'AWS region').env('AWS_REGION'))
    .addOption(new Option('--profile <name>', 'AWS shared-config profile').env('AWS_PROFILE'))
    .addOption(
      new Option('--endpoint-url <url>', 'one endpoint for every service (e.g. LocalStack)').env(
        'AWS_ENDPOINT_URL',
      ),
    );
  const describe: Record<ResourceFlag, [string, string, string]> = {
    bucket: ['--bucket <name>', 'S3 bucket of the query outputs', 'SLUICE_BUCKET'],
    table: ['--table <name>', 'DynamoDB table of checkpoints and state', 'SLUICE_TABLE'],
    prefix: ['--prefix <prefix>', 'S3 key prefix of the outputs (default "sluice")', 'SLUICE_PREFIX'],
    stream: ['--stream <name>', "the query's Kinesis stream (for lag)", 'SLUICE_STREAM'],
  };
  for (const flag of resources) {
    const [flags, description, variable] = describe[flag];
    command.addOption(new Option(flags, description).env(variable));
  }
  return command;
}
