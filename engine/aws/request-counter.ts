/** Something with an SDK v3 middleware stack (every AWS client). */
interface HasMiddleware {
  middlewareStack: {
    add(
      middleware: (next: any, context: any) => (args: any) => Promise<any>,
      options: Record<string, unknown>,
    ): void;
  };
}

/**
 * Counts AWS requests by `service.Command` (e.g. `DynamoDB.BatchGetItem`), so each batch's
 * progress record can carry its request counts for benchmarks and cost estimates.
 */
export class RequestCounter {
  private counts: Record<string, number> = {};

  /** Counts every call the client makes from now on. Returns the client for chaining. */
  attach<C extends HasMiddleware>(client: C, service: string): C {
    client.middlewareStack.add(
      (next, context: { commandName?: string }) => async (args) => {
        const key = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        this.counts[key] = (this.counts[key] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: `sluiceRequestCounter-${service}`, override: true },
    );
    return client;
  }

  /** The counts since the last `take()`, then resets them. */
  take(): Record<string, number> {
    const taken = this.counts;
    this.counts = {};
    return taken;
  }
}
