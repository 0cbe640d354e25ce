import type { StandardJSONSchemaV1 } from '@standard-schema/spec';
import type { SourceNode } from '../nodes.js';
import {
  arrayOf,
  commonType,
  type DataType,
  type DeclaredColumns,
  type Field,
  mapOf,
  type Schema,
  schemaOf,
  struct,
  withField,
} from './data-type.js';
import { SchemaInferenceError } from './errors.js';

/** A declared output schema: column types by name, or a validator that describes itself as JSON Schema (zod ≥ 4.2). */
export type OutputSchema = DeclaredColumns | StandardJSONSchemaV1<unknown, unknown>;

type JsonSchema = Readonly<Record<string, unknown>>;

/** Whether a value implements Standard JSON Schema (`~standard.jsonSchema`). */
export function describesJsonSchema(value: unknown): value is StandardJSONSchemaV1<unknown, unknown> {
  if (typeof value !== 'object' || value === null || !('~standard' in value)) return false;
  const props = (value as { '~standard': { jsonSchema?: { output?: unknown } } })['~standard'];
  return typeof props?.jsonSchema?.output === 'function';
}

/**
 * The columns of a source's rows: the schema's properties (its output JSON Schema, as the Standard
 * JSON Schema interface gives it), with the event-time column as `timestamp` (the decoder turns
 * ISO-8601 strings and numbers into epoch milliseconds before validation).
 */
export function sourceSchema(node: SourceNode): Schema {
  if (node.schema === undefined) {
    throw new SchemaInferenceError(
      `Source '${node.name}' has no schema, so the types of its columns are unknown. Pass readStream('${node.name}', { schema }) with a validator that describes itself as JSON Schema (zod 4.2 or later), or list the output columns by hand.`,
      { source: node.name },
    );
  }
  if (!describesJsonSchema(node.schema)) {
    throw new SchemaInferenceError(
      `The schema of source '${node.name}' does not implement Standard JSON Schema (~standard.jsonSchema), so the types of its columns are unknown. Use a validator that does (zod 4.2 or later), or list the output columns by hand.`,
      { source: node.name },
    );
  }
  const columns = objectColumns(node.schema, `source '${node.name}'`);
  return node.eventTime === undefined ? columns : withField(columns, node.eventTime, 'timestamp');
}

/** A declared schema as columns. */
export function declaredSchema(schema: OutputSchema, where: string): Schema {
  return describesJsonSchema(schema) ? objectColumns(schema, where) : schemaOf(schema);
}

function objectColumns(schema: StandardJSONSchemaV1<unknown, unknown>, where: string): Schema {
  let json: JsonSchema;
  try {
    json = schema['~standard'].jsonSchema.output({
      target: 'draft-2020-12',
      // zod: values JSON Schema cannot describe (Date, bigint, transforms) become `{}` (json).
      libraryOptions: { unrepresentable: 'any' },
    });
  } catch (error) {
    throw new SchemaInferenceError(
      `The schema of ${where} cannot be turned into JSON Schema (${(error as Error).message}); list the output columns by hand.`,
      { where },
    );
  }
  const type = fromJsonSchema(json);
  if (typeof type !== 'object' || type.kind !== 'struct') {
    throw new SchemaInferenceError(
      `The schema of ${where} does not describe an object with properties, so it has no columns; rows are objects.`,
      { where },
    );
  }
  return type.fields;
}

const JSON_TYPES: Readonly<Record<string, DataType | undefined>> = {
  string: 'string',
  integer: 'long',
  number: 'double',
  boolean: 'boolean',
  null: undefined,
};

/**
 * The sluice type of a JSON Schema: `integer` → long, `number` → double, objects with properties
 * → struct (in property order), objects with only `additionalProperties` → map, unions widened
 * (`commonType`), NULL members ignored (every column is nullable), anything else → json.
 */
export function fromJsonSchema(json: JsonSchema): DataType {
  return typeOf(json) ?? 'json';
}

function typeOf(json: JsonSchema): DataType | undefined {
  if ('const' in json) return literalType(json.const);
  if (Array.isArray(json.enum)) return json.enum.map(literalType).reduce(commonType, undefined) ?? 'json';
  const members = (json.anyOf ?? json.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(members)) return members.map(typeOf).reduce(commonType, undefined) ?? 'json';
  const declared = json.type;
  if (Array.isArray(declared)) {
    return declared.map((t) => typeOf({ ...json, type: t })).reduce(commonType, undefined) ?? 'json';
  }
  if (declared === 'array') {
    const items = json.items;
    return arrayOf(
      typeof items === 'object' && items !== null ? fromJsonSchema(items as JsonSchema) : 'json',
    );
  }
  if (declared === 'object') return objectType(json);
  if (typeof declared === 'string') return declared in JSON_TYPES ? JSON_TYPES[declared] : 'json';
  return 'json';
}

function objectType(json: JsonSchema): DataType {
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (properties !== undefined && Object.keys(properties).length > 0) {
    const fields: Field[] = Object.entries(properties).map(([name, property]) => ({
      name,
      type: fromJsonSchema(property),
    }));
    return struct(fields);
  }
  const extra = json.additionalProperties;
  if (typeof extra === 'object' && extra !== null) return mapOf(fromJsonSchema(extra as JsonSchema));
  return 'json';
}

function literalType(value: unknown): DataType | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'long' : 'double';
  return 'json';
}
