import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { TemplateSelectionError } from './errors.js';
import type { CfnTemplate } from './template.js';

/** Context that makes NodejsFunction skip esbuild: the runner runs the TypeScript entries with tsx. */
export const SKIP_BUNDLING_CONTEXT = { 'aws:cdk:bundling-stacks': [] } as const;

/** A synthesized stack's template and name. */
export interface SynthesizedStack {
  readonly stackName: string;
  readonly template: CfnTemplate;
  readonly synthMs: number;
}

/**
 * Synthesizes the stack `build` creates in a fresh in-process App, with bundling skipped and
 * into a temporary cloud assembly directory (removed afterwards), and returns its template.
 *
 * @example
 * const { template } = await synthesizeStack((app) => new ExampleQueriesStack(app, 'SluiceExamples'));
 */
export async function synthesizeStack(build: (app: App) => Stack | undefined): Promise<SynthesizedStack> {
  const started = performance.now();
  const outdir = await mkdtemp(join(tmpdir(), 'sluice-synth-'));
  try {
    // CloudFormation schema validation costs seconds per synth and the emulators check what they create.
    const app = new App({
      outdir,
      context: { ...SKIP_BUNDLING_CONTEXT },
      builtinCloudFormationValidation: false,
    });
    const built = build(app);
    const assembly = app.synth();
    const stacks = assembly.stacks;
    const chosen =
      built === undefined
        ? stacks.length === 1
          ? stacks[0]
          : undefined
        : assembly.getStackByName(built.stackName);
    if (chosen === undefined) {
      throw new TemplateSelectionError(
        `The app synthesized ${stacks.length} stacks (${stacks.map((s) => s.stackName).join(', ') || 'none'}); return the stack to run from the \`app\` function.`,
      );
    }
    return {
      stackName: chosen.stackName,
      template: chosen.template as CfnTemplate,
      synthMs: performance.now() - started,
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
