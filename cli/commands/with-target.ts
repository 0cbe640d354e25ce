import type { TargetFlags } from '../target/options.js';
import { resolveTarget } from '../target/resolve.js';
import type { Target } from '../target/target.js';

/** Resolves the target from the flags, runs `body`, and always closes the clients. */
export async function withTarget<T>(flags: TargetFlags, body: (target: Target) => Promise<T>): Promise<T> {
  const target = await resolveTarget(flags);
  try {
    return await body(target);
  } finally {
    target.close();
  }
}
