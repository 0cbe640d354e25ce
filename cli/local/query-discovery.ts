import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sourcesOf } from '../../engine/aws/kinesis/index.js';
import { keyColumnsOf } from '../../engine/aws/s3/upsert.js';
import type { QueryDefinition } from '../../engine/index.js';

/** What the CLI learns from a query's definition. */
export interface QueryFacts {
  /** `readStream` names, which `push` accepts in place of the stream name. */
  readonly sources: readonly string[];
  /** The partition-key field, when the query declares it as a column. */
  readonly partitionKey?: string;
  /** Key columns of the result table in update/complete mode, when the plan says. */
  readonly keyColumns?: readonly string[];
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
 * Best effort: finds the definition of query `name` next to its function entry, by the project's
 * convention `functions/<query>.ts` → `functions/queries/<query>.ts` (a module exporting the built
 * query), and reads its source names, declared partition key and key columns. Returns `{sources: []}`
 * when there is no such module or it exports no query of that name (`push` then needs
 * `--partition-key`).
 */
export async function discoverQuery(name: string, entry: string | undefined): Promise<QueryFacts> {
  if (entry === undefined) return { sources: [] };
  const file = basename(entry);
  const candidates = [join(dirname(entry), 'queries', file), join(dirname(entry), 'queries', `${name}.ts`)];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(candidate).href)) as Record<string, unknown>;
    } catch {
      continue;
    }
    const query = Object.values(module).find(
      (value): value is QueryDefinition => isQueryDefinition(value) && value.name === name,
    );
    if (query === undefined) continue;
    const sources = sourcesOf(query);
    const declared = sources.map((source) => source.partitionKey).find((key) => typeof key === 'string');
    const keyColumns = keyColumnsOf(query.plan);
    return {
      sources: sources.map((source) => source.name),
      ...(typeof declared === 'string' ? { partitionKey: declared } : {}),
      ...(keyColumns === undefined ? {} : { keyColumns }),
    };
  }
  return { sources: [] };
}
