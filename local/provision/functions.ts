import { isAbsolute, resolve } from 'node:path';
import { FUNCTION_METADATA } from '../../infra/streaming-query/lambda.js';
import { type ResolveContext, resolveValue } from './resolve.js';
import { type CfnTemplate, literalProperty, RESOURCE_TYPES, resourcesOfType } from './template.js';
import type { FunctionRole, LocalFunction } from './types.js';

/** CloudFormation's defaults for AWS::Lambda::Function. */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;
const DEFAULT_HANDLER = 'index.handler';

/**
 * The template's functions, with their environment resolved against the local resources and the
 * TypeScript entry from the `sluice:entry` metadata (relative paths are under `projectRoot`).
 * The function's name is `nameOf(logicalId)`, as given to the resolver.
 */
export function readFunctions(
  template: CfnTemplate,
  context: ResolveContext,
  projectRoot: string,
): Record<string, LocalFunction> {
  const functions: Record<string, LocalFunction> = {};
  for (const [logicalId, resource] of resourcesOfType(template, RESOURCE_TYPES.function)) {
    const names = context.resources.get(logicalId);
    const variables = ((resource.Properties?.Environment ?? {}) as { Variables?: Record<string, unknown> })
      .Variables;
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables ?? {})) {
      const resolved = resolveValue(value, `${logicalId}.Environment.Variables.${name}`, context);
      if (resolved !== undefined) environment[name] = resolved;
    }
    const metadata = resource.Metadata ?? {};
    const entry = metadata[FUNCTION_METADATA.entry];
    const role = metadata[FUNCTION_METADATA.role];
    const query = metadata[FUNCTION_METADATA.query];
    const handler = literalProperty(logicalId, resource, 'Handler', DEFAULT_HANDLER);
    functions[logicalId] = {
      logicalId,
      name: names?.ref ?? logicalId,
      arn: names?.attributes.Arn ?? logicalId,
      entry: typeof entry !== 'string' ? undefined : isAbsolute(entry) ? entry : resolve(projectRoot, entry),
      exportName: handler.slice(handler.lastIndexOf('.') + 1),
      query: typeof query === 'string' ? query : undefined,
      role: role === 'query' || role === 'heartbeat' ? (role as FunctionRole) : undefined,
      timeoutMs: literalProperty(logicalId, resource, 'Timeout', DEFAULT_TIMEOUT_SECONDS) * 1000,
      memoryMb: literalProperty(logicalId, resource, 'MemorySize', DEFAULT_MEMORY_MB),
      runtime: typeof resource.Properties?.Runtime === 'string' ? resource.Properties.Runtime : undefined,
      environment,
      roleArn: resolveValue(resource.Properties?.Role, `${logicalId}.Role`, context) ?? '',
    };
  }
  return functions;
}
