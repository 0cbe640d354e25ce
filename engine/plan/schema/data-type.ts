/**
 * Column types of a query's rows, in Spark's terms: what the plan says each output column holds,
 * inferred from the source schema through the plan (`infer-schema.ts`). Sluice's row model
 * decides the physical values: `long` and `double` are JavaScript numbers (or bigints),
 * `timestamp` is epoch milliseconds, a time window is `struct<start: timestamp, end: timestamp>`.
 *
 * | type | Spark | values |
 * | --- | --- | --- |
 * | `string` | StringType | strings |
 * | `long` | LongType (`bigint`) | safe integers, bigints |
 * | `double` | DoubleType | numbers |
 * | `boolean` | BooleanType | booleans |
 * | `timestamp` | TimestampType | epoch milliseconds |
 * | `binary` | BinaryType | `Uint8Array` |
 * | `json` | — (no Spark type) | any JSON value whose shape the plan cannot tell |
 * | `{ struct }` | StructType | objects with these fields |
 * | `{ array }` | ArrayType | arrays |
 * | `{ map }` | MapType(string, …) | objects used as maps |
 */
export type PrimitiveType = 'string' | 'long' | 'double' | 'boolean' | 'timestamp' | 'binary' | 'json';

export interface StructType {
  readonly kind: 'struct';
  readonly fields: readonly Field[];
}

export interface ArrayType {
  readonly kind: 'array';
  readonly element: DataType;
}

/** A map with string keys (a JSON object used as a dictionary). */
export interface MapType {
  readonly kind: 'map';
  readonly value: DataType;
}

export type DataType = PrimitiveType | StructType | ArrayType | MapType;

/** A named column (or struct field) and its type. */
export interface Field {
  readonly name: string;
  readonly type: DataType;
}

/** The columns of a plan's output rows, in the order rows hold them. */
export type Schema = readonly Field[];

/** A declared schema: column name → type, in column order (`{ user: 'string', views: 'long' }`). */
export type DeclaredColumns = Readonly<Record<string, DataType>>;

export const struct = (fields: readonly Field[]): StructType => ({ kind: 'struct', fields });
export const arrayOf = (element: DataType): ArrayType => ({ kind: 'array', element });
export const mapOf = (value: DataType): MapType => ({ kind: 'map', value });

/** A time window column (`window`, `session_window`), as Spark's `struct<start, end>`. */
export const WINDOW_TYPE: StructType = struct([
  { name: 'start', type: 'timestamp' },
  { name: 'end', type: 'timestamp' },
]);

/** The schema of declared columns. */
export function schemaOf(columns: DeclaredColumns): Schema {
  return Object.entries(columns).map(([name, type]) => ({ name, type }));
}

/** Spark's `simpleString` of a type: `bigint`, `struct<start:timestamp,end:timestamp>`, `array<string>`. */
export function typeName(type: DataType): string {
  if (typeof type === 'string') return type === 'long' ? 'bigint' : type;
  switch (type.kind) {
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}:${typeName(f.type)}`).join(',')}>`;
    case 'array':
      return `array<${typeName(type.element)}>`;
    case 'map':
      return `map<string,${typeName(type.value)}>`;
  }
}

export const sameType = (a: DataType, b: DataType): boolean => typeName(a) === typeName(b);

/** Whether the type is a window (`struct<start: timestamp, end: timestamp>`). */
export const isWindowType = (type: DataType): boolean => sameType(type, WINDOW_TYPE);

/**
 * The type that holds values of both (Spark's type widening, as far as sluice's values go):
 * equal types stay; `long` and `double` widen to `double`; anything else is `json`.
 * `undefined` stands for "only NULLs so far" and yields the other type.
 */
export function commonType(a: DataType | undefined, b: DataType | undefined): DataType | undefined {
  if (a === undefined) return b;
  if (b === undefined || sameType(a, b)) return a;
  if ((a === 'long' || a === 'double') && (b === 'long' || b === 'double')) return 'double';
  if (typeof a === 'object' && typeof b === 'object' && a.kind === 'array' && b.kind === 'array')
    return arrayOf(commonType(a.element, b.element) ?? 'json');
  return 'json';
}

/** A column's type by name, or `undefined`. */
export function fieldType(schema: Schema, name: string): DataType | undefined {
  return schema.find((field) => field.name === name)?.type;
}

/** `schema` with `name` set to `type`: replaced in place when present, appended otherwise (as rows do). */
export function withField(schema: Schema, name: string, type: DataType): Schema {
  return schema.some((field) => field.name === name)
    ? schema.map((field) => (field.name === name ? { name, type } : field))
    : [...schema, { name, type }];
}

/** Renders a schema as `name type` lines, for messages and `explain`. */
export function describeSchema(schema: Schema): string {
  return schema.map((field) => `${field.name} ${typeName(field.type)}`).join(', ');
}
