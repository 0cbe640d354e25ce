/** Longest delay `setTimeout` takes (larger values fire at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A sleep that `wake()` ends early. A wake that comes while not sleeping is kept, so the next
 * sleep returns at once: a caller that pokes a loop mid-request still gets a fresh iteration.
 */
export class Sleeper {
  private wakeUp: (() => void) | undefined;
  private woken = false;

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, MAX_TIMEOUT_MS)));
      this.wakeUp = done;
    });
  }

  wake(): void {
    if (this.wakeUp === undefined) this.woken = true;
    else this.wakeUp();
  }
}
