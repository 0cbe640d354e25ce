import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LocalStartError } from '../errors.js';
import {
  isProcessAlive,
  type LocalState,
  localLogFile,
  localStateFile,
  readLocalState,
  removeLocalState,
  stateDir,
} from '../target/local-state.js';

/** The `sluice` executable this process runs (the background stack runs the same one). */
// From the sources (cli/local/) or the compiled package (dist/cli/local/).
const SLUICE_BIN = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? '../../bin/sluice.js' : '../../../bin/sluice.js',
    import.meta.url,
  ),
);

/**
 * `sluice local up`: starts `sluice local run --background` as a detached process (output in
 * `.sluice/local.log`) and returns once it has written `.sluice/local.json`. An already running
 * stack is reported and left alone.
 */
export async function localUp(
  args: readonly string[],
  timeoutS: number,
): Promise<{ state: LocalState; alreadyRunning: boolean }> {
  const path = localStateFile();
  const existing = await readLocalState(path);
  if (existing !== undefined && isProcessAlive(existing.pid))
    return { state: existing, alreadyRunning: true };
  if (existing !== undefined) await removeLocalState(path);
  mkdirSync(stateDir(), { recursive: true });
  const logFile = localLogFile();
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [SLUICE_BIN, 'local', 'run', '--background', ...args], {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal === null ? `exit status ${code}` : `signal ${signal}`;
  });
  child.once('error', (error) => {
    exited = error.message;
  });
  child.unref();
  const deadline = performance.now() + timeoutS * 1000;
  for (;;) {
    const state = await readLocalState(path).catch(() => undefined);
    if (state !== undefined && state.pid === child.pid) return { state, alreadyRunning: false };
    if (exited !== undefined) throw new LocalStartError(`${exited}: ${await lastLine(logFile)}`, logFile);
    if (performance.now() > deadline) {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      throw new LocalStartError(`not ready after ${timeoutS} s; raise --timeout on a slow machine`, logFile);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function lastLine(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('at '));
  return lines.at(-1) ?? 'no output';
}
