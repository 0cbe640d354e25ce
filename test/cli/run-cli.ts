import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from there, as a user runs it from a clone. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

/** What a finished command printed. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * This process's environment without AWS and sluice settings, so a developer's own AWS_REGION,
 * AWS_PROFILE or SLUICE_* variables cannot change what the CLI under test does; credential and
 * metadata lookups are short-circuited.
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_') || name.startsWith('SLUICE_') || name.startsWith('CDK_')) continue;
    env[name] = value;
  }
  return {
    ...env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

/** Runs `node bin/sluice.js ...args` from the repository root and collects its output. */
export function runCli(
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly input?: string; readonly timeoutMs?: number },
): Promise<CliRun> {
  return runNode([BIN, ...args], options);
}

/**
 * Runs `node ...args` from the repository root and collects its output. The child leads its own
 * process group, so a timeout kills whatever it started too (tsx runs the script in a child).
 */
export function runNode(
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly input?: string; readonly timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: options.env,
      stdio: 'pipe',
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(
        new Error(`node ${args.join(' ')} did not finish in ${options.timeoutMs} ms\n${stdout}\n${stderr}`),
      );
    }, options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The lines a command printed to standard error, without blank ones. */
export function errorLines(run: CliRun): string[] {
  return run.stderr.split('\n').filter((line) => line.trim() !== '');
}
