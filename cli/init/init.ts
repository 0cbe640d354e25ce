import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.js';
import { appFiles } from './app-files.js';

/** sluice's own package.json: `cli/init/` in the sources, `dist/cli/init/` in the package. */
const PACKAGE_JSON = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../../package.json' : '../../../package.json', import.meta.url),
);

/** What `sluice init` did. */
export interface InitResult {
  readonly dir: string;
  readonly files: readonly string[];
}

/** Options of {@link initApp}. */
export interface InitOptions {
  /** How the new app's package.json names sluice. @default `^VERSION` of this sluice */
  readonly sluiceSpec?: string;
}

/**
 * Creates a new sluice app in `dir` (created if missing; refused when it holds anything but dot
 * files, so nothing of the user's is overwritten). The app depends on this sluice's version and
 * on the versions of aws-cdk-lib, vitest, … that sluice itself is built and tested with.
 */
export async function initApp(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const target = resolve(dir);
  if (existsSync(target)) {
    const present = (await readdir(target)).filter((name) => !name.startsWith('.'));
    if (present.length > 0) {
      throw new CliError(
        'SLUICE_CLI_INIT_NOT_EMPTY',
        `${target} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): pick a new directory name.`,
        { exitCode: 2, context: { dir: target } },
      );
    }
  }
  const own = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const name = basename(target)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  const files = appFiles(name || 'sluice-app', {
    sluice: options.sluiceSpec ?? `^${own.version}`,
    packages: { ...own.devDependencies, ...own.dependencies },
  });
  for (const [path, content] of Object.entries(files)) {
    const file = join(target, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content, { flag: 'wx' });
  }
  return { dir: target, files: Object.keys(files) };
}
