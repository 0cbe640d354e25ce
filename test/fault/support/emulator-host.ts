/**
 * A child process hosting dynalite and kinesalite for the fault suite, so that their CPU runs
 * beside the process driving the schedules (a test file runs in one worker; on a 2-core machine
 * the emulators would otherwise share its one thread). Sends `{ dynamodb, kinesis }` endpoints
 * over IPC once both answer; exits when the parent goes away.
 *
 * Usage (from fault-env.ts): `node --import tsx test/fault/support/emulator-host.ts`.
 */
import { S3RVER_CREDENTIALS, startDynalite, startKinesalite } from '../../../local/emulators/index.js';

process.on('disconnect', () => process.exit(0));
const launch = { region: 'us-east-1', credentials: S3RVER_CREDENTIALS, startTimeoutMs: 30_000 };
const [dynamodb, kinesis] = await Promise.all([startDynalite(launch), startKinesalite(launch)]);
process.send?.({ dynamodb: dynamodb.endpoint, kinesis: kinesis.endpoint });
