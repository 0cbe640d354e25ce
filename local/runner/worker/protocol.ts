/**
 * Messages between the runner and a function host worker (one Lambda execution environment).
 *
 * ```
 * runner → worker  workerData: HostData              cold start: the worker imports the entry
 * worker → runner  { type: 'ready' } | { type: 'init-error', error }
 * runner → worker  { type: 'invoke', id, event, context }   one at a time
 * worker → runner  { type: 'result', id, ok: true, value } | { type: 'result', id, ok: false, error }
 * ```
 */

/** What the worker needs to load the function (its environment is the worker's `env`). */
export interface HostData {
  /** Absolute path of the TypeScript (or JavaScript) entry file. */
  readonly entry: string;
  /** The handler's export name. */
  readonly exportName: string;
}

/** The Lambda context's plain fields; the worker adds the methods. */
export interface ContextFields {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Epoch ms at which the invocation times out: `getRemainingTimeInMillis()` counts down to it. */
  readonly deadlineMs: number;
}

/** An error as it crosses the thread boundary (and as Lambda reports it: errorType, errorMessage). */
export interface SerializedError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stack?: string;
}

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: unknown;
  readonly context: ContextFields;
}

export type HostMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: SerializedError };

/** Lambda's shape for an error: the constructor's name as type, the message, the stack. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
    };
  }
  return { errorType: 'Error', errorMessage: String(error) };
}
