import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CdkAppError } from '../errors.js';

/**
 * The CDK app's entry file: `--app` when given, else the `.ts`/`.js` file in `cdk.json`'s `app`
 * command (e.g. `npx tsx infra/app.ts` → `infra/app.ts`), relative to the project root.
 */
export async function findAppEntry(projectRoot: string, app: string | undefined): Promise<string> {
  if (app !== undefined) {
    const path = resolve(projectRoot, app);
    if (!existsSync(path)) {
      throw new CdkAppError(
        'SLUICE_CLI_NO_APP',
        `CDK app ${path} does not exist: pass --app PATH to your app's entry file.`,
      );
    }
    return path;
  }
  const cdkJson = join(projectRoot, 'cdk.json');
  let command: unknown;
  try {
    command = (JSON.parse(await readFile(cdkJson, 'utf8')) as { app?: unknown }).app;
  } catch {
    throw new CdkAppError(
      'SLUICE_CLI_NO_APP',
      `No CDK app found (no readable ${cdkJson}): pass --app PATH to your app's entry file.`,
    );
  }
  const entry =
    typeof command === 'string' ? command.split(/\s+/).find((part) => /\.(m?[jt]s)$/.test(part)) : undefined;
  if (entry === undefined) {
    throw new CdkAppError(
      'SLUICE_CLI_NO_APP',
      `cdk.json's app command ${JSON.stringify(command)} names no .ts or .js entry: pass --app PATH to your app's entry file.`,
    );
  }
  return resolve(projectRoot, entry);
}
