import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnTemplate } from '../../local/provision/index.js';
import { SKIP_BUNDLING_CONTEXT } from '../../local/provision/index.js';
import { CdkAppError } from '../errors.js';

/** A synthesized stack of the app. */
export interface AppStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
  readonly synthMs: number;
}

/**
 * Synthesizes a CDK app entry in this process the way `cdk synth` runs it, with asset bundling
 * skipped (`aws:cdk:bundling-stacks: []`: the local runner runs the TypeScript entries) and the
 * cloud assembly in a temporary directory (`CDK_OUTDIR`), and returns the template of `stack`, or
 * of the only stack. The entry must call `app.synth()`, as `cdk init` apps do. Runs once per
 * process (an ES module is evaluated once).
 */
export async function synthesizeAppEntry(entry: string, stack?: string): Promise<AppStack> {
  const started = performance.now();
  const outdir = await mkdtemp(join(tmpdir(), 'sluice-assembly-'));
  const saved = { outdir: process.env.CDK_OUTDIR, context: process.env.CDK_CONTEXT_JSON };
  const context = {
    ...(saved.context === undefined ? {} : (JSON.parse(saved.context) as object)),
    ...SKIP_BUNDLING_CONTEXT,
  };
  process.env.CDK_OUTDIR = outdir;
  process.env.CDK_CONTEXT_JSON = JSON.stringify(context);
  try {
    try {
      await import(pathToFileURL(entry).href);
    } catch (error) {
      throw new CdkAppError(
        'SLUICE_CLI_APP_FAILED',
        `CDK app ${entry} failed to synthesize: ${(error as Error).message.split('\n')[0]}. Fix the app (npx cdk synth shows the same error) or pass --app.`,
        error,
      );
    }
    let manifest: { artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }> };
    try {
      manifest = JSON.parse(await readFile(join(outdir, 'manifest.json'), 'utf8'));
    } catch {
      throw new CdkAppError(
        'SLUICE_CLI_APP_FAILED',
        `CDK app ${entry} wrote no cloud assembly: make it call app.synth() at the end, as cdk init apps do.`,
      );
    }
    const stacks = Object.entries(manifest.artifacts ?? {}).filter(
      ([, artifact]) =>
        artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile !== undefined,
    );
    const chosen =
      stack === undefined
        ? stacks.length === 1
          ? stacks[0]
          : undefined
        : stacks.find(([id]) => id === stack);
    if (chosen === undefined) {
      const names = stacks.map(([id]) => id).join(', ') || 'none';
      throw new CdkAppError(
        'SLUICE_CLI_STACK',
        stack === undefined
          ? `CDK app ${entry} has ${stacks.length} stacks (${names}): pick one with --stack NAME.`
          : `CDK app ${entry} has no stack '${stack}': use one of ${names}.`,
      );
    }
    const [stackName, artifact] = chosen;
    const template = JSON.parse(
      await readFile(join(outdir, artifact.properties!.templateFile!), 'utf8'),
    ) as CfnTemplate;
    return { stackName, template, synthMs: performance.now() - started };
  } finally {
    restore('CDK_OUTDIR', saved.outdir);
    restore('CDK_CONTEXT_JSON', saved.context);
    await rm(outdir, { recursive: true, force: true });
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
