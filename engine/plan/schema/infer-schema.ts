import type { AggregateNode, GroupingKey, PlanNode } from '../nodes.js';
import {
  arrayOf,
  commonType,
  type DataType,
  type Field,
  fieldType,
  type Schema,
  sameType,
  typeName,
  WINDOW_TYPE,
  withField,
} from './data-type.js';
import { SchemaInferenceError } from './errors.js';
import { expressionType } from './expression-type.js';
import { sourceSchema } from './source-schema.js';

/**
 * The schema of a plan's output rows, inferred from its sources' schemas through every step, as
 * Spark's analyzer resolves a plan's output attributes:
 *
 * | step | output columns |
 * | --- | --- |
 * | source | the schema's properties; the event-time column a `timestamp` |
 * | `filter`, `where`, `withWatermark`, `dropDuplicates` | the input's (a watermarked column becomes a `timestamp`) |
 * | `select(names)` | those columns |
 * | `select`/`withColumn`/`selectExpr`/… (expressions) | each expression's type (`expression-type.ts`), `withColumn` replacing in place |
 * | `groupBy(...).agg(...)` | the keys (`window` / `session_window` as `struct<start, end>`), then each aggregate's `resultType` |
 * | joins | the left side's columns, then the right side's (a shared name takes the right side's type) |
 * | `union` | the first input's columns, types widened over all inputs |
 * | `map`, `flatMap`, `(flat)mapGroupsWithState` | the declared `schema`; without one the type is unknown |
 *
 * Throws {@link SchemaInferenceError} naming the step whose output cannot be known.
 */
export function inferSchema(plan: PlanNode): Schema {
  switch (plan.kind) {
    case 'source':
      return sourceSchema(plan);
    case 'filter':
    case 'where':
    case 'dedup':
    case 'sort':
    case 'limit':
      return inferSchema(plan.child);
    case 'watermark': {
      const input = inferSchema(plan.child);
      requireColumn(input, plan.column, `withWatermark('${plan.column}')`);
      // A window column keeps its struct type; anything else holds epoch ms: a timestamp.
      const type = fieldType(input, plan.column)!;
      return sameType(type, WINDOW_TYPE) ? input : withField(input, plan.column, 'timestamp');
    }
    case 'map':
    case 'flatMap':
    case 'groupsWithState':
      if (plan.schema !== undefined) return plan.schema;
      throw new SchemaInferenceError(
        `${closureName(plan)} returns rows the plan cannot see into, so their columns are unknown. Declare them: ${closureHint(plan)}, or list the output columns by hand.`,
        { step: plan.kind },
      );
    case 'select': {
      const input = inferSchema(plan.child);
      return plan.columns.map((name) => ({ name, type: requireColumn(input, name, `select('${name}')`) }));
    }
    case 'project': {
      const input = inferSchema(plan.child);
      let output: Schema = plan.keepInput ? input.filter((field) => !plan.drop.includes(field.name)) : [];
      for (const column of plan.columns) {
        output = withField(output, column.name, expressionType(column.expr, input) ?? 'string');
      }
      return output;
    }
    case 'aggregate':
      return aggregateSchema(plan);
    case 'staticJoin':
      return joined(inferSchema(plan.child), staticSchema(plan.rows));
    case 'streamJoin':
      return joined(inferSchema(plan.left), inferSchema(plan.right));
    case 'union':
      return plan.children.map(inferSchema).reduce(unionSchema);
  }
}

function aggregateSchema(plan: AggregateNode): Schema {
  const input = inferSchema(plan.child);
  const fields: Field[] = plan.keys.map((key) => keyField(input, key));
  for (const [name, fn] of Object.entries(plan.aggregates)) {
    const inputType =
      fn.column === undefined ? undefined : requireColumn(input, fn.column, `${fn.name}(${fn.column})`);
    if (fn.resultType === undefined) {
      throw new SchemaInferenceError(
        `The aggregate '${name}' (${fn.name}) does not declare its result type; give the AggregateFunction a resultType(input), or list the output columns by hand.`,
        { aggregate: name },
      );
    }
    fields.push({ name, type: fn.resultType(inputType) });
  }
  return fields;
}

function keyField(input: Schema, key: GroupingKey): Field {
  switch (key.kind) {
    case 'column':
      return { name: key.column, type: requireColumn(input, key.column, `groupBy('${key.column}')`) };
    case 'window':
      requireColumn(input, key.column, `window('${key.column}', …)`);
      return { name: 'window', type: WINDOW_TYPE };
    case 'session':
      requireColumn(input, key.column, `sessionWindow('${key.column}', …)`);
      return { name: 'session_window', type: WINDOW_TYPE };
  }
}

/** `{ ...left, ...right }`: left's columns in order, right's replacing shared names in place. */
function joined(left: Schema, right: Schema): Schema {
  return right.reduce((schema, field) => withField(schema, field.name, field.type), left);
}

function unionSchema(a: Schema, b: Schema): Schema {
  return b.reduce(
    (schema, field) => withField(schema, field.name, commonType(fieldType(schema, field.name), field.type)!),
    a,
  );
}

/** A static dataset's columns, from its values (the rows are all there is to know). */
function staticSchema(rows: readonly Record<string, unknown>[]): Schema {
  let schema: Schema = [];
  const seen = new Map<string, DataType | undefined>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      seen.set(name, commonType(seen.get(name), valueType(value)));
    }
  }
  for (const [name, type] of seen) schema = withField(schema, name, type ?? 'string');
  return schema;
}

/** The type of one JavaScript value in sluice's row model. */
export function valueType(value: unknown): DataType | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return 'long';
    case 'number':
      return Number.isSafeInteger(value) ? 'long' : 'double';
    default:
      if (value instanceof Uint8Array) return 'binary';
      if (value instanceof Date) return 'timestamp';
      if (Array.isArray(value)) return arrayOf(value.map(valueType).reduce(commonType, undefined) ?? 'json');
      return 'json';
  }
}

function requireColumn(input: Schema, name: string, where: string): DataType {
  const type = fieldType(input, name);
  if (type === undefined) {
    throw new SchemaInferenceError(
      `${where}: column '${name}' does not exist; the input has ${input.map((f) => `${f.name} ${typeName(f.type)}`).join(', ') || 'no columns'}.`,
      { column: name },
    );
  }
  return type;
}

function closureName(plan: PlanNode): string {
  if (plan.kind === 'groupsWithState')
    return plan.flat ? 'flatMapGroupsWithState(fn)' : 'mapGroupsWithState(fn)';
  return `${plan.kind}(fn)`;
}

function closureHint(plan: PlanNode): string {
  if (plan.kind === 'groupsWithState')
    return `${closureName(plan).replace('(fn)', '')}(..., { schema: { user: 'string', views: 'long' } })`;
  return `${plan.kind}(fn, { schema: { ... } })`;
}
