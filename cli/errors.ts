import { SluiceError } from '../engine/errors.js';

/**
 * Root of every error the `sluice` command reports. The message is one line that says what is
 * wrong and how to fix it; `exitCode` is the process exit status (2 for bad usage or input, 1
 * for everything else, as most Unix tools do).
 */
export class CliError extends SluiceError {
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown>; exitCode?: number } = {},
  ) {
    super(code, message, options);
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A query the target does not know (not provisioned locally, no outputs on S3). */
export class UnknownQueryError extends CliError {
  constructor(query: string, known: readonly string[], where: string) {
    super(
      'SLUICE_CLI_UNKNOWN_QUERY',
      `Unknown query '${query}' ${where}: ${known.length === 0 ? 'none is known there yet' : `use one of ${known.join(', ')}`}.`,
      { context: { query, known }, exitCode: 2 },
    );
  }
}

/** A stream that does not exist (or that the local stack did not provision). */
export class UnknownStreamError extends CliError {
  constructor(stream: string, known: readonly string[], where: string) {
    super(
      'SLUICE_CLI_UNKNOWN_STREAM',
      `Unknown stream '${stream}' ${where}: ${known.length === 0 ? 'create it first (npx cdk deploy, or sluice local up)' : `use one of ${known.join(', ')}`}.`,
      { context: { stream, known }, exitCode: 2 },
    );
  }
}

/** An input file that cannot be opened. */
export class UnreadableFileError extends CliError {
  constructor(path: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    super(
      'SLUICE_CLI_UNREADABLE_FILE',
      `Cannot read ${path} (${reason}): pass a readable JSON Lines file, or '-' to read standard input.`,
      { cause, context: { path }, exitCode: 2 },
    );
  }
}

/** A service endpoint that does not answer. */
export class EndpointUnreachableError extends CliError {
  constructor(service: string, endpoint: string, fix: string, cause: unknown) {
    super('SLUICE_CLI_UNREACHABLE', `Cannot reach ${service} at ${endpoint}: ${fix}.`, {
      cause,
      context: { service, endpoint },
    });
  }
}

/** A setting needed for this command on AWS was given neither as a flag nor in the environment. */
export class MissingSettingError extends CliError {
  constructor(what: string, flag: string, variable: string) {
    super(
      'SLUICE_CLI_MISSING_SETTING',
      `No ${what} given: pass ${flag} or set ${variable} (or run \`sluice local up\` to use the local stack).`,
      { context: { what, flag, variable }, exitCode: 2 },
    );
  }
}

/** `--local` (or a command that needs the local stack) without a running `sluice local up`. */
export class LocalStackNotRunningError extends CliError {
  constructor(stateFile: string, detail: string) {
    super(
      'SLUICE_CLI_LOCAL_NOT_RUNNING',
      `The local stack is not running (${detail}): start it with \`sluice local up\`${detail.includes('stale') ? ` or delete ${stateFile}` : ''}.`,
      { context: { stateFile }, exitCode: 1 },
    );
  }
}

/** A flag value the command cannot use. */
export class InvalidOptionError extends CliError {
  constructor(option: string, value: unknown, fix: string) {
    super('SLUICE_CLI_INVALID_OPTION', `Invalid ${option} ${JSON.stringify(value)}: ${fix}.`, {
      context: { option, value },
      exitCode: 2,
    });
  }
}

/** Some input lines could not be pushed (malformed, or failed after every retry); the rest were. */
export class PushIncompleteError extends CliError {
  constructor(malformed: number, failed: number) {
    const parts = [
      ...(malformed > 0 ? [`${malformed} malformed line${malformed === 1 ? '' : 's'} skipped`] : []),
      ...(failed > 0 ? [`${failed} record${failed === 1 ? '' : 's'} failed after every retry`] : []),
    ];
    super(
      'SLUICE_CLI_PUSH_INCOMPLETE',
      `${parts.join(', ')}: fix the lines reported above and push them again (the other records were pushed).`,
      { context: { malformed, failed }, exitCode: 1 },
    );
  }
}

/** `status --wait` gave up. */
export class WaitTimeoutError extends CliError {
  constructor(seconds: number, behind: string) {
    super(
      'SLUICE_CLI_WAIT_TIMEOUT',
      `Still not caught up after ${seconds} s (${behind}): check that the functions run (sluice local up, or the event source mapping on AWS), or raise --timeout.`,
      { context: { seconds, behind } },
    );
  }
}

/** SQL over a result table failed. */
export class SqlError extends CliError {
  constructor(detail: string, cause: unknown) {
    super(
      'SLUICE_CLI_SQL',
      `SQL failed: ${detail}. The result table is named \`result\`; check the column names with --format json first.`,
      { cause, exitCode: 2 },
    );
  }
}

/** The one line to print for any error: a CliError's message, or a short form of anything else. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** `push` to a stream whose partition-key field nobody named. */
export class MissingPartitionKeyError extends CliError {
  constructor(stream: string) {
    super(
      'SLUICE_CLI_NO_PARTITION_KEY',
      `No partition key for stream '${stream}': pass --partition-key FIELD, the field whose value the reading query declares in readStream(…, { partitionKey }).`,
      { context: { stream }, exitCode: 2 },
    );
  }
}

/** The table view of an upsert log whose key columns nobody named. */
export class MissingKeyColumnsError extends CliError {
  constructor(query: string, outputMode: string, columns: readonly string[]) {
    super(
      'SLUICE_CLI_NO_KEY_COLUMNS',
      `Query '${query}' writes an upsert log (${outputMode} mode) whose manifests name no key columns: pass --key COL[,COL] with the columns identifying a result row (some of ${columns.join(', ')}), or --view log for every row written.`,
      { context: { query, outputMode }, exitCode: 2 },
    );
  }
}

/** A running stack refuses a second one: both would claim `.sluice/local.json`. */
export class LocalStackRunningError extends CliError {
  constructor(pid: number) {
    super(
      'SLUICE_CLI_LOCAL_RUNNING',
      `A local stack is already running (pid ${pid}): use it, or stop it with \`sluice local down\` first.`,
      { context: { pid } },
    );
  }
}

/** The background stack did not come up. */
export class LocalStartError extends CliError {
  constructor(detail: string, logFile: string) {
    super(
      'SLUICE_CLI_LOCAL_START',
      `The local stack did not start (${detail}): see ${logFile} for the full output.`,
      {
        context: { logFile },
      },
    );
  }
}

/** The state file exists but is not one this version wrote. */
export class LocalStateFormatError extends CliError {
  constructor(path: string, detail: string) {
    super(
      'SLUICE_CLI_LOCAL_STATE',
      `${path} is not a sluice local state file (${detail}): stop the stack with \`sluice local down\` or delete the file, then run \`sluice local up\` again.`,
      { context: { path } },
    );
  }
}

/** A bucket or table named by the flags (or the local stack) that does not exist. */
export class NoSuchResourceError extends CliError {
  constructor(kind: 'bucket' | 'table', name: string, where: string, cause: unknown) {
    const fix =
      kind === 'bucket'
        ? "pass the query's output bucket with --bucket or SLUICE_BUCKET"
        : "pass the query's state table with --table or SLUICE_TABLE";
    super(
      kind === 'bucket' ? 'SLUICE_CLI_NO_SUCH_BUCKET' : 'SLUICE_CLI_NO_SUCH_TABLE',
      `${kind === 'bucket' ? 'Bucket' : 'Table'} '${name}' does not exist ${where}: ${fix}.`,
      { cause, context: { kind, name }, exitCode: 2 },
    );
  }
}

/** The CDK app to run locally cannot be found, does not synthesize, or has no such stack. */
export class CdkAppError extends CliError {
  constructor(
    code: 'SLUICE_CLI_NO_APP' | 'SLUICE_CLI_APP_FAILED' | 'SLUICE_CLI_STACK',
    message: string,
    cause?: unknown,
  ) {
    super(code, message, {
      ...(cause === undefined ? {} : { cause }),
      exitCode: code === 'SLUICE_CLI_APP_FAILED' ? 1 : 2,
    });
  }
}

/** `status` on AWS with no query: there is no list of queries to show. */
export class QueryRequiredError extends CliError {
  constructor() {
    super(
      'SLUICE_CLI_QUERY_REQUIRED',
      'No query named: on AWS name it, as in `sluice status page-views --table TABLE --stream STREAM --bucket BUCKET`.',
      { exitCode: 2 },
    );
  }
}

/** No AWS credentials in the environment, profiles or instance metadata. */
export class NoCredentialsError extends CliError {
  constructor(cause: unknown) {
    super(
      'SLUICE_CLI_NO_CREDENTIALS',
      'No AWS credentials found: run `aws configure` or set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or use the local stack (`sluice local up`).',
      { cause },
    );
  }
}

/** AWS refused the credentials or the permission. */
export class AccessDeniedError extends CliError {
  constructor(service: string, name: string, cause: unknown) {
    super(
      'SLUICE_CLI_ACCESS_DENIED',
      `${service} refused the request (${name}): use credentials allowed to read the query's resources (AWS_PROFILE), or check the region.`,
      { cause, context: { service, name } },
    );
  }
}
