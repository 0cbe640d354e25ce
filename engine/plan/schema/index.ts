export {
  type ArrayType,
  arrayOf,
  type DataType,
  type DeclaredColumns,
  describeSchema,
  type Field,
  type MapType,
  mapOf,
  type PrimitiveType,
  type Schema,
  type StructType,
  struct,
  typeName,
  WINDOW_TYPE,
} from './data-type.js';
export { SchemaInferenceError } from './errors.js';
export { expressionType } from './expression-type.js';
export { inferSchema } from './infer-schema.js';
export { declaredSchema, type OutputSchema } from './source-schema.js';
