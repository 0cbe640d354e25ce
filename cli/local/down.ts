import { isProcessAlive, localStateFile, readLocalState, removeLocalState } from '../target/local-state.js';

/** How long `local down` waits for a clean stop before SIGKILL. */
const DOWN_TIMEOUT_MS = 30_000;

/**
 * `sluice local down`: SIGTERM to the stack's process (which stops the runner and the emulators
 * and removes `.sluice/local.json`), SIGKILL after 30 s; returns the pid stopped, or `undefined`
 * when nothing was running.
 */
export async function localDown(): Promise<number | undefined> {
  const path = localStateFile();
  const state = await readLocalState(path);
  if (state === undefined) return undefined;
  if (!isProcessAlive(state.pid)) {
    await removeLocalState(path);
    return undefined;
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = performance.now() + DOWN_TIMEOUT_MS;
  // The stack removes its state file once the runner and emulators are stopped.
  while (isProcessAlive(state.pid) && (await readLocalState(path).catch(() => undefined)) !== undefined) {
    if (performance.now() > deadline) {
      process.kill(state.pid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await removeLocalState(path);
  return state.pid;
}
