// The body of a function host worker: one Lambda execution environment. Loaded through tsx by
// the bootstrap in function-instance.ts, so the entry and everything it imports may be TypeScript.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import {
  type ContextFields,
  type HostData,
  type HostMessage,
  type InvokeMessage,
  serializeError,
} from './protocol.js';

type Handler = (
  event: unknown,
  context: Context,
  callback?: (error?: unknown, value?: unknown) => void,
) => unknown;

const port = parentPort!;
const data = workerData as HostData;
const post = (message: HostMessage) => port.postMessage(message);

/** A Lambda context whose `getRemainingTimeInMillis()` counts down to the invocation's deadline. */
function lambdaContext(fields: ContextFields): Context {
  const deprecated = (name: string) => () => {
    throw new Error(
      `context.${name}() is not supported by the Node.js 22 runtime; return or throw from an async handler.`,
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fields.functionName,
    functionVersion: fields.functionVersion,
    invokedFunctionArn: fields.invokedFunctionArn,
    memoryLimitInMB: fields.memoryLimitInMB,
    awsRequestId: fields.awsRequestId,
    logGroupName: fields.logGroupName,
    logStreamName: fields.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, fields.deadlineMs - Date.now()),
    done: deprecated('done'),
    fail: deprecated('fail'),
    succeed: deprecated('succeed'),
  };
}

/** Calls an async handler, or a callback-style one (three parameters, returns no promise). */
function call(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  if (handler.length < 3) return Promise.resolve(handler(event, context));
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
    if (returned instanceof Promise) returned.then(resolve, reject);
  });
}

/** The response as Lambda returns it: JSON (undefined becomes null). */
function asJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

let handler: Handler;
try {
  const module = (await import(pathToFileURL(data.entry).href)) as Record<string, unknown>;
  const exported = module[data.exportName];
  if (typeof exported !== 'function') {
    throw new TypeError(
      `${data.entry} does not export a function named '${data.exportName}' (the template's Handler). Export the handler under that name.`,
    );
  }
  handler = exported as Handler;
  port.on('message', async (message: InvokeMessage) => {
    try {
      const value = await call(handler, message.event, lambdaContext(message.context));
      post({ type: 'result', id: message.id, ok: true, value: asJson(value) });
    } catch (error) {
      post({ type: 'result', id: message.id, ok: false, error: serializeError(error) });
    }
  });
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-error', error: serializeError(error) });
}
