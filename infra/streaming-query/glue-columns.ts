import type { QueryDefinition } from '../../engine/api/writer.js';
import { NotAFileSinkError } from '../../engine/aws/errors.js';
import { type TableColumn, tableColumns } from '../../engine/aws/s3/table-columns.js';
import { SchemaInferenceError } from '../../engine/plan/schema/errors.js';
import { DEFAULT_GLUE_FORMAT } from './defaults.js';
import { StreamingQueryPropsError } from './errors.js';
import type { GlueColumn, GlueTableOptions } from './props.js';

/** The Glue table's columns, partition keys and format, as the construct creates them. */
export interface ResolvedGlueColumns {
  readonly columns: readonly GlueColumn[];
  readonly partitionKeys: readonly GlueColumn[];
  readonly format: 'parquet' | 'jsonl';
}

/**
 * The Glue table's columns: inferred from the query's output schema (`tableColumns`: the source
 * schema through the plan) when the construct has the query; a hand-written `glue.columns` list is
 * checked against them, name by name and type by type (and `partitionKeys` likewise), so the
 * table cannot drift from what the function writes. Without the query, or when its plan cannot
 * tell its types (a closure without a declared schema), the hand-written list is taken as it is.
 */
export function resolveGlueColumns(
  queryName: string,
  options: GlueTableOptions,
  query: QueryDefinition | undefined,
): ResolvedGlueColumns {
  const fail = (prop: string, message: string): never => {
    throw new StreamingQueryPropsError(queryName, prop, message);
  };
  const given = {
    columns: options.columns,
    partitionKeys: options.partitionKeys ?? [],
    format: options.format ?? DEFAULT_GLUE_FORMAT,
  };
  if (query === undefined) {
    if (options.columns === undefined)
      fail('glue.columns', 'list the output columns, or pass the query (prop `query`) to infer them.');
    return { ...given, columns: given.columns! };
  }
  let inferred: ReturnType<typeof tableColumns>;
  try {
    inferred = tableColumns(query);
  } catch (error) {
    if (!(error instanceof SchemaInferenceError || error instanceof NotAFileSinkError)) throw error;
    if (options.columns !== undefined) return { ...given, columns: options.columns };
    return fail('glue.columns', `cannot infer the columns of query '${query.name}': ${error.message}`);
  }
  if (options.format !== undefined && options.format !== inferred.format) {
    fail(
      'glue.format',
      `'${options.format}', but query '${query.name}' writes ${inferred.format} files; leave glue.format out to follow the query.`,
    );
  }
  const toGlue = (c: TableColumn): GlueColumn => ({ name: c.name, type: c.hiveType });
  const columns = inferred.columns.map(toGlue);
  const partitionKeys = inferred.partitionKeys.map(toGlue);
  if (options.columns !== undefined) check('glue.columns', options.columns, columns, query.name, fail);
  if (options.partitionKeys !== undefined)
    check('glue.partitionKeys', options.partitionKeys, partitionKeys, query.name, fail);
  // Hand-written comments are kept; names and types are the inferred ones (equal after the check).
  const comments = new Map(
    [...(options.columns ?? []), ...(options.partitionKeys ?? [])].map((c) => [c.name, c.comment]),
  );
  const withComment = (c: GlueColumn): GlueColumn => {
    const comment = comments.get(c.name);
    return comment === undefined ? c : { ...c, comment };
  };
  return {
    columns: columns.map(withComment),
    partitionKeys: partitionKeys.map(withComment),
    format: inferred.format,
  };
}

/** Hive type names compare without case and spaces (`STRUCT<start: timestamp>` = `struct<start:timestamp>`). */
const normalType = (type: string) => type.toLowerCase().replace(/\s+/g, '');

function check(
  prop: string,
  given: readonly GlueColumn[],
  inferred: readonly GlueColumn[],
  query: string,
  fail: (prop: string, message: string) => never,
): void {
  const outputs = inferred.map((c) => `${c.name} ${c.type}`).join(', ') || 'none';
  for (const column of given) {
    const expected = inferred.find((c) => c.name === column.name);
    if (expected === undefined)
      fail(prop, `column '${column.name}' is not in the output of query '${query}' (${outputs}).`);
    if (normalType(column.type) !== normalType(expected!.type))
      fail(
        prop,
        `column '${column.name}' is declared ${column.type}, but query '${query}' writes ${expected!.type} there (inferred from its plan); declare ${expected!.type}, or leave the list out to use the inferred columns.`,
      );
  }
  const missing = inferred.filter((c) => !given.some((g) => g.name === c.name));
  if (missing.length > 0)
    fail(
      prop,
      `lacks ${missing.map((c) => `'${c.name}' (${c.type})`).join(', ')} of the output of query '${query}'; add them, or leave the list out to use the inferred columns.`,
    );
}
