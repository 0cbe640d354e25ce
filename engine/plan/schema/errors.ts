import { SluiceError } from '../../errors.js';

/**
 * The plan cannot tell the type of its output rows: a closure (`map`, `flatMap`,
 * `(flat)mapGroupsWithState`) without a declared output schema, a source whose schema does not
 * describe itself as JSON Schema, a column that does not exist. The message names the step and
 * the fix (declare the schema there, or list the columns by hand where they are needed).
 */
export class SchemaInferenceError extends SluiceError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('SLUICE_SCHEMA_UNKNOWN', message, { context });
  }
}
