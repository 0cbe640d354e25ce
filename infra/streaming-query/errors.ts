import { SluiceError } from '../../engine/errors.js';

/**
 * A StreamingQuery prop that cannot be deployed safely, raised at synth time (before anything
 * reaches CloudFormation). Names the construct's query and the prop; the message says the fix.
 */
export class StreamingQueryPropsError extends SluiceError {
  /** The offending prop, e.g. `parallelizationFactor`. */
  readonly prop: string;
  constructor(query: string, prop: string, message: string) {
    super('SLUICE_STREAMING_QUERY_PROPS', `StreamingQuery '${query}': ${prop}: ${message}`, {
      context: { query, prop },
    });
    this.prop = prop;
  }
}
