import type { QueryDefinition } from '../../api/writer.js';
import { type DataType, isWindowType, type Schema, typeName } from '../../plan/schema/data-type.js';
import { SchemaInferenceError } from '../../plan/schema/errors.js';
import { inferSchema } from '../../plan/schema/infer-schema.js';
import { NotAFileSinkError } from '../errors.js';
import type { ColumnType } from './column-types.js';

/**
 * The file sink's column type for a plan type: windows stay structs (`window`), nested values
 * the Parquet writer does not model (other structs, arrays, maps, `json`) are written as JSON.
 */
export function columnTypeOf(type: DataType): ColumnType {
  switch (type) {
    case 'string':
    case 'double':
    case 'boolean':
    case 'timestamp':
    case 'binary':
    case 'json':
      return type;
    case 'long':
      return 'int64';
    default:
      return isWindowType(type) ? 'window' : 'json';
  }
}

/** One column of the table over a query's data objects. */
export interface TableColumn {
  readonly name: string;
  /** The plan's type. */
  readonly type: DataType;
  /** How the file sink writes it. */
  readonly columnType: ColumnType;
  /** The Hive type a Glue table must declare to read what the sink writes. */
  readonly hiveType: string;
}

/** The columns of a query's data files and its partition folders, from its inferred output schema. */
export interface TableColumns {
  readonly format: 'parquet' | 'jsonl';
  readonly columns: readonly TableColumn[];
  readonly partitionKeys: readonly TableColumn[];
}

/**
 * The Hive type that reads what the sink writes for a plan type: Parquet stores JSON columns as
 * UTF-8 strings (`string`); JSON Lines keeps nested values nested, so the full type is declared
 * (`array<string>`), with `json` parts as `string`. Partition values live in folder names,
 * rendered as text, so nested ones are `string`.
 */
export function hiveTypeOf(type: DataType, format: 'parquet' | 'jsonl', partition = false): string {
  const columnType = columnTypeOf(type);
  if (partition) return columnType === 'json' || columnType === 'window' ? 'string' : hiveName(type);
  if (format === 'parquet' && columnType === 'json') return 'string';
  if (format === 'jsonl' && columnType === 'binary') return 'string'; // base64 text
  return hiveName(type);
}

const hiveName = (type: DataType): string => typeName(type).replaceAll('json', 'string');

/**
 * The table over a query's file-sink output: its inferred output schema (see `inferSchema`) minus
 * the partition columns, with the sink's column types and the Hive types, and the partition keys.
 * Throws `SchemaInferenceError` when the plan cannot tell its output's types, and
 * {@link NotAFileSinkError} when the query does not write files.
 */
export function tableColumns(query: QueryDefinition): TableColumns {
  if (query.sink.kind !== 'files') throw new NotAFileSinkError(query.name, query.sink.kind);
  const { format, partitionBy } = query.sink;
  const schema: Schema = inferSchema(query.plan);
  const column = (name: string, type: DataType, partition = false): TableColumn => ({
    name,
    type,
    columnType: columnTypeOf(type),
    hiveType: hiveTypeOf(type, format, partition),
  });
  return {
    format,
    columns: schema.filter((f) => !partitionBy.includes(f.name)).map((f) => column(f.name, f.type)),
    partitionKeys: partitionBy.flatMap((name) => {
      const field = schema.find((f) => f.name === name);
      return field === undefined ? [] : [column(name, field.type, true)];
    }),
  };
}

/** The sink's declared column types for a query, or `undefined` when the plan cannot tell them. */
export function inferredColumnTypes(query: QueryDefinition): Record<string, ColumnType> | undefined {
  try {
    const { columns, partitionKeys } = tableColumns(query);
    return Object.fromEntries([...columns, ...partitionKeys].map((c) => [c.name, c.columnType]));
  } catch (error) {
    if (error instanceof SchemaInferenceError || error instanceof NotAFileSinkError) return undefined;
    throw error;
  }
}
