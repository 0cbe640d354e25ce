/**
 * The object storage the changelog state store writes to (S3 in production: see
 * `engine/aws/s3-state/`), addressed by keys relative to the query root. A port, so the store
 * itself stays free of AWS and runs on the in-memory implementation below in unit tests.
 */
export interface StateObjects {
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's bytes; rejects if it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Keys below `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the keys (absent keys are no error). */
  delete(keys: readonly string[]): Promise<void>;
}

/** {@link StateObjects} in a map, for tests and the local in-process runner. */
export class MemoryStateObjects implements StateObjects {
  readonly objects = new Map<string, Uint8Array>();
  /** Calls by kind, so tests can assert what a batch cost. */
  readonly calls = { put: 0, get: 0, list: 0, delete: 0 };

  async put(key: string, body: Uint8Array): Promise<void> {
    this.calls.put++;
    this.objects.set(key, body.slice());
  }

  async get(key: string): Promise<Uint8Array> {
    this.calls.get++;
    const body = this.objects.get(key);
    if (body === undefined) throw new Error(`No such state object: ${key}`);
    return body;
  }

  async list(prefix: string): Promise<string[]> {
    this.calls.list++;
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.calls.delete++;
    for (const key of keys) this.objects.delete(key);
  }
}
