/**
 * A child process that hosts one in-process emulator (dynalite or kinesalite), so that its CPU
 * is not charged to the process running the handlers. Prints nothing; sends `{ endpoint }` to
 * the parent over IPC once the emulator answers, and exits when the parent goes away.
 *
 * Usage (from bench/aws/emulators.ts): `node --import tsx bench/aws/emulator-host.ts dynalite`.
 */
import { S3RVER_CREDENTIALS, startDynalite, startKinesalite } from '../../local/emulators/index.js';

const name = process.argv[2];
const launch = { region: 'us-east-1', credentials: S3RVER_CREDENTIALS, startTimeoutMs: 30_000 };

process.on('disconnect', () => process.exit(0));

const started =
  name === 'dynalite'
    ? await startDynalite(launch)
    : name === 'kinesalite'
      ? await startKinesalite(launch)
      : undefined;
if (started === undefined) {
  console.error(`emulator-host: unknown emulator '${name}' (use dynalite or kinesalite)`);
  process.exit(2);
}
process.send?.({ endpoint: started.endpoint });
