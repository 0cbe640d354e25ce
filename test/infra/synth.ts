// Helpers for the infra tests: an app that skips esbuild bundling, and lookups in a template.
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StreamingQuery, type StreamingQueryProps } from '../../infra/streaming-query.js';

/** An entry file for test queries that have no `functions/<query>.ts`. */
export const FIXTURE_ENTRY = fileURLToPath(new URL('./fixtures/query-handler.ts', import.meta.url));

/** Context that makes NodejsFunction skip bundling: template-only tests need no esbuild run. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/**
 * A fresh app and stack; bundling is skipped unless asked for, and so is CDK's built-in
 * CloudFormation schema validation (seconds per test file) unless asked for: the cdk-nag test
 * runs it once over every construct shape.
 */
export function newStack(options: { bundle?: boolean; validate?: boolean } = {}): { app: App; stack: Stack } {
  const app = new App({
    builtinCloudFormationValidation: options.validate ?? false,
    ...(options.bundle ? {} : { context: SKIP_BUNDLING }),
  });
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  return { app, stack };
}

/** Builds the stack with `build` and returns its template. */
export function templateOf(build: (stack: Stack) => void): Template {
  const { stack } = newStack();
  build(stack);
  return Template.fromStack(stack);
}

type Resource = { Type: string; Properties?: Record<string, any>; [key: string]: unknown };

/** The one resource of `type` whose logical id starts with `prefix`. */
export function resource(template: Template, type: string, prefix = ''): [string, Resource] {
  const matches = Object.entries(template.findResources(type) as Record<string, Resource>).filter(([id]) =>
    id.startsWith(prefix),
  );
  if (matches.length !== 1)
    throw new Error(`expected one ${type} starting with '${prefix}', found ${matches.length}`);
  return matches[0]!;
}

/** Every logical id referenced (Ref / Fn::GetAtt) anywhere inside `value`. */
export function referencedIds(value: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    if (typeof object.Ref === 'string' && !object.Ref.startsWith('AWS::')) ids.add(object.Ref);
    if (Array.isArray(object['Fn::GetAtt'])) ids.add(object['Fn::GetAtt'][0] as string);
    Object.values(object).forEach(visit);
  };
  visit(value);
  return ids;
}

/** Every action of every statement of a policy document, flattened. */
export function actionsOf(policy: Resource): string[] {
  return (policy.Properties!.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((s) =>
    Array.isArray(s.Action) ? s.Action : [s.Action],
  );
}

export const ESM = 'AWS::Lambda::EventSourceMapping';
export const FUNCTION = 'AWS::Lambda::Function';
export const POLICY = 'AWS::IAM::Policy';

/** The example query, whose handler file `functions/page-views.ts` exists (the default entry). */
export const pageViews = (stack: Stack, props: Partial<StreamingQueryProps> = {}) =>
  new StreamingQuery(stack, 'PageViews', { queryName: 'page-views', ...props });
