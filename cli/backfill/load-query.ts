import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { QueryDefinition } from '../../engine/index.js';
import { CliError } from '../errors.js';

/** The query module could not be found or does not export the query. */
export class QueryModuleError extends CliError {
  constructor(message: string, cause?: unknown) {
    super('SLUICE_CLI_QUERY_MODULE', message, { exitCode: 2, ...(cause === undefined ? {} : { cause }) });
  }
}

function isQueryDefinition(value: unknown): value is QueryDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { plan?: unknown }).plan === 'object' &&
    typeof (value as { outputMode?: unknown }).outputMode === 'string'
  );
}

/**
 * The built query named `name`, exported by `file` (default: the project convention
 * `functions/queries/<name>.ts` under the working directory, the module the handler imports).
 */
export async function loadQuery(name: string, file?: string, cwd = process.cwd()): Promise<QueryDefinition> {
  const path = resolve(cwd, file ?? `functions/queries/${name}.ts`);
  if (!existsSync(path)) {
    throw new QueryModuleError(
      `No query module at ${path}: pass --query-module FILE, the module that exports the built query '${name}' (writeStream...build()).`,
    );
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new QueryModuleError(`Loading ${path} failed: ${(error as Error).message}`, error);
  }
  const queries = Object.values(module).filter(isQueryDefinition);
  const query = queries.find((candidate) => candidate.name === name);
  if (query === undefined) {
    throw new QueryModuleError(
      `${path} exports no query named '${name}'${queries.length === 0 ? '' : ` (it exports ${queries.map((q) => `'${q.name}'`).join(', ')})`}: export the built query, or pass --query-module FILE.`,
    );
  }
  return query;
}
