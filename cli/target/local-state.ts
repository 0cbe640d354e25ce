import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { LocalStateFormatError } from '../errors.js';

/** Where `sluice local up` keeps its state: `./.sluice/` unless `SLUICE_STATE_DIR` says otherwise. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SLUICE_STATE_DIR;
  return resolve(configured === undefined || configured === '' ? '.sluice' : configured);
}

/** `.sluice/local.json`: the running local stack's endpoints and resources. */
export function localStateFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'local.json');
}

/** `.sluice/local.log`: output of the background `local up` process. */
export function localLogFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'local.log');
}

const queryEntry = z.object({
  /** The query name (S3 root `PREFIX/QUERY/`, checkpoint items `C#QUERY`). */
  name: z.string().min(1),
  /** The Kinesis stream the query's function reads. */
  stream: z.string().min(1),
  table: z.string().min(1),
  bucket: z.string().min(1),
  prefix: z.string(),
  /** The query's source names (`readStream(name)`), accepted by `push` in place of the stream. */
  sources: z.array(z.string()).default([]),
  /** The field producers use as partition key, when the query declares it as a column. */
  partitionKey: z.string().optional(),
  /** The columns identifying a result row in update/complete mode, when known. */
  keyColumns: z.array(z.string()).optional(),
  /** A two-stage query's internal stream (stage 2 reads it; `stream` is stage 1's). */
  exchangeStream: z.string().min(1).optional(),
});

const localStateSchema = z.object({
  formatVersion: z.literal(1),
  /** The process running the stack (`sluice local up` in the background, or `local run`). */
  pid: z.number().int().positive(),
  startedAt: z.string(),
  region: z.string().min(1),
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  endpoints: z.object({ kinesis: z.url(), dynamodb: z.url(), s3: z.url() }),
  queries: z.array(queryEntry),
  /**
   * Backfills run against the stack (`sluice backfill`): each has its own name, checkpoints and
   * outputs, and the resources of the query it replays (`of`).
   */
  backfills: z.array(z.object({ name: z.string().min(1), of: z.string().min(1) })).default([]),
});

/**
 * The local stack as recorded in `.sluice/local.json` (format version 1): what the other commands
 * need to talk to it. Written last by `sluice local up` (once everything is provisioned and the
 * runner polls), removed by `sluice local down`.
 */
export type LocalState = z.infer<typeof localStateSchema>;
export type LocalQuery = LocalState['queries'][number];

/** Reads the state file; `undefined` when there is none. */
export async function readLocalState(path: string = localStateFile()): Promise<LocalState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LocalStateFormatError(path, (error as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LocalStateFormatError(path, `not JSON: ${(error as Error).message}`);
  }
  const parsed = localStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LocalStateFormatError(
      path,
      `${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Writes the state file atomically (a reader never sees half of it). */
export async function writeLocalState(state: LocalState, path: string = localStateFile()): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, path);
}

/** Removes the state file (no error when it is gone). */
export async function removeLocalState(path: string = localStateFile()): Promise<void> {
  await rm(path, { force: true });
}

/**
 * True when a process with this id runs (signal 0 checks without signalling). A zombie — exited
 * but not yet reaped, which happens under a container init that does not reap — counts as gone.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): signal 0 is the answer
  }
}
