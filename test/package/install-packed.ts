import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * Installs a packed sluice tarball into `app` the way `npm install` lays it out, without the
 * network: the tarball's contents become `node_modules/sluice` (a real directory, as npm makes
 * it), and every package that sluice or the app declares is linked from `modulesDir` (this
 * repository's `node_modules`, which `npm ci` filled). Only declared packages are linked, so a
 * dependency missing from sluice's package.json fails to resolve as it would for a user. The
 * bins npm would link go to `node_modules/.bin`. A `package-lock.json` stands in for the one
 * `npm install` writes (the construct's esbuild bundling requires one).
 */
export async function installPacked(tarball: string, app: string, modulesDir: string): Promise<void> {
  const modules = join(app, 'node_modules');
  const unpacked = join(app, '.unpack');
  await mkdir(unpacked, { recursive: true });
  await exec('tar', ['-xzf', tarball, '-C', unpacked]);
  await mkdir(modules, { recursive: true });
  await rename(join(unpacked, 'package'), join(modules, 'sluice'));

  const sluice = JSON.parse(await readFile(join(modules, 'sluice', 'package.json'), 'utf8')) as PackageJson;
  const appJson = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as PackageJson;
  const names = new Set([
    ...Object.keys(sluice.dependencies ?? {}),
    ...Object.keys(appJson.dependencies ?? {}),
    ...Object.keys(appJson.devDependencies ?? {}),
  ]);
  names.delete('sluice');
  for (const name of names) {
    const source = join(modulesDir, name);
    if (!existsSync(source)) throw new Error(`${name} is not installed in ${modulesDir} (run npm ci)`);
    if (name.startsWith('@')) await mkdir(join(modules, name.split('/')[0]!), { recursive: true });
    await symlink(source, join(modules, name), 'dir');
  }

  const bin = join(modules, '.bin');
  await mkdir(bin, { recursive: true });
  for (const [name, target] of Object.entries(binsOf(sluice))) {
    await chmod(join(modules, 'sluice', target), 0o755);
    await symlink(join('..', 'sluice', target), join(bin, name));
  }
  const repoBins = new Set(await readdir(join(modulesDir, '.bin')));
  for (const name of ['cdk', 'tsc', 'tsx', 'vitest', 'esbuild']) {
    if (repoBins.has(name)) await symlink(join(modulesDir, '.bin', name), join(bin, name));
  }
  await writeFile(
    join(app, 'package-lock.json'),
    `${JSON.stringify({ name: appJson.name, lockfileVersion: 3, requires: true, packages: {} }, null, 2)}\n`,
  );
}

interface PackageJson {
  readonly name?: string;
  readonly bin?: string | Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

function binsOf(pkg: PackageJson): Record<string, string> {
  if (typeof pkg.bin === 'string') return { [pkg.name ?? 'sluice']: pkg.bin };
  return pkg.bin ?? {};
}
