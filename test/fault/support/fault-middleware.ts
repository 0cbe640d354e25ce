import { AsyncLocalStorage } from 'node:async_hooks';
import { ProvisionedThroughputExceededException as DynamoThrottled } from '@aws-sdk/client-dynamodb';
import { ProvisionedThroughputExceededException as KinesisThrottled } from '@aws-sdk/client-kinesis';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { type CallKind, classifyCall, type Service } from './call-kinds.js';
import type { Interleaver, Party } from './interleaver.js';
import type { CallPlan, InvocationFaults } from './invocation-faults.js';

/** Rewrites a request's input: how a test builds a deliberately broken runtime. */
export type Tamper = (call: CallKind, input: Record<string, unknown>) => Record<string, unknown>;

/** What the middleware knows about the invocation a call belongs to. */
export interface InvocationScope {
  readonly faults: InvocationFaults;
  /** Serializes the calls of concurrent invocations (zombie steps). */
  readonly gate?: Interleaver;
  /** Which of the concurrent invocations this is. */
  readonly party: Party;
  /** Every call of the run not yet settled, so the simulator can wait for stragglers. */
  readonly inflight: Set<Promise<unknown>>;
  readonly tamper?: Tamper;
}

const scopes = new AsyncLocalStorage<InvocationScope>();

/** Runs `work` (a handler invocation) so that every SDK call it makes sees `scope`. */
export function inScope<T>(scope: InvocationScope, work: () => Promise<T>): Promise<T> {
  return scopes.run(scope, work);
}

/** Waits until no call of the run is in flight (calls may start more calls while we wait). */
export async function drain(inflight: Set<Promise<unknown>>): Promise<void> {
  while (inflight.size > 0) await Promise.allSettled([...inflight]);
}

interface HasMiddlewareStack {
  middlewareStack: {
    add(
      middleware: (next: any, context: any) => (args: any) => Promise<any>,
      options: Record<string, unknown>,
    ): void;
  };
}

const PLAN = Symbol('faultPlan');

/**
 * Adds fault injection to an SDK client. Calls made outside {@link inScope} (test setup, readers)
 * pass untouched. Inside a scope:
 * - `initialize` step (outside the SDK's retries): wait for the interleaver's turn, crash before
 *   sending, send, crash after the response.
 * - `deserialize` step (inside the retries): throttle the planned number of attempts with the
 *   service's real throttling error, which the SDK's retry strategy recognizes.
 */
export function attachFaultInjection(client: HasMiddlewareStack, service: Service): void {
  client.middlewareStack.add(
    (next, context: { commandName?: string; [PLAN]?: CallPlan }) =>
      (args: { input?: Record<string, unknown> }) => {
        const scope = scopes.getStore();
        if (scope === undefined) return next(args);
        const work = (async () => {
          const call = classifyCall(service, context.commandName ?? '', args.input ?? {});
          const leave = scope.gate === undefined ? undefined : await scope.gate.enter(scope.party, call);
          try {
            const plan = scope.faults.beforeCall(call);
            context[PLAN] = plan;
            const input =
              scope.tamper === undefined || args.input === undefined
                ? args.input
                : scope.tamper(call, args.input);
            if (plan.partial !== undefined) return await partialPut(next, args, input, plan, scope.faults);
            const result = await next({ ...args, input });
            scope.faults.afterCall(plan);
            return result;
          } finally {
            leave?.();
          }
        })();
        scope.inflight.add(work);
        const forget = () => scope.inflight.delete(work);
        work.then(forget, forget);
        return work;
      },
    { step: 'initialize', priority: 'high', name: `faultInjection-${service}`, override: true },
  );
  client.middlewareStack.add(
    (next, context: { [PLAN]?: CallPlan }) => async (args: unknown) => {
      const plan = context[PLAN];
      if (plan !== undefined && plan.throttleLeft > 0) {
        plan.throttleLeft--;
        throw throttlingError(service);
      }
      return next(args);
    },
    { step: 'deserialize', priority: 'high', name: `faultThrottle-${service}`, override: true },
  );
}

/**
 * Sends the first half of a PutRecords' entries (at least one when there are two or more): then
 * crashes, or answers as Kinesis does for entries it rejected, so the caller re-sends those.
 */
async function partialPut(
  next: (args: any) => Promise<any>,
  args: { input?: Record<string, unknown> },
  input: Record<string, unknown> | undefined,
  plan: CallPlan,
  faults: InvocationFaults,
): Promise<any> {
  const records = (input?.Records ?? []) as unknown[];
  const kept = Math.floor(records.length / 2);
  const sent =
    kept === 0 ? undefined : await next({ ...args, input: { ...input, Records: records.slice(0, kept) } });
  if (plan.partial === 'crash') faults.crashAfterPartial(plan);
  const results = [
    ...((sent?.output?.Records ?? []) as unknown[]),
    ...records.slice(kept).map(() => ({
      ErrorCode: 'ProvisionedThroughputExceededException',
      ErrorMessage: 'injected: rate exceeded for shard',
    })),
  ];
  return {
    ...(sent ?? { response: {} }),
    output: {
      ...(sent?.output ?? { $metadata: {} }),
      Records: results,
      FailedRecordCount: records.length - kept + Number(sent?.output?.FailedRecordCount ?? 0),
    },
  };
}

function throttlingError(service: Service): Error {
  const $metadata = { httpStatusCode: service === 'S3' ? 503 : 400 };
  switch (service) {
    case 'DynamoDB':
      return new DynamoThrottled({ message: 'injected: provisioned throughput exceeded', $metadata });
    case 'Kinesis':
      return new KinesisThrottled({ message: 'injected: provisioned throughput exceeded', $metadata });
    case 'S3':
      return new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        $metadata,
        message: 'injected: please reduce your request rate',
      });
  }
}
