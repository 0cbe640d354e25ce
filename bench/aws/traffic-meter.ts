/**
 * Counts what a system under test sends to AWS: requests by `Service.Operation`, request and
 * response payload bytes (HTTP bodies, per attempt, as on the wire), and DynamoDB capacity
 * units counted from item sizes (capacity-units.ts). Attached as SDK v3 middleware to the
 * clients the handler uses, next to the engine's own `RequestCounter`.
 */
import { Readable } from 'node:stream';
import type { AwsClients } from '../../engine/aws/clients.js';
import { CapacityCounter, type CapacityUnits, type IndexedAttributes, noUnits } from './capacity-units.js';

/** Everything counted since the last `take()`. */
export interface Traffic {
  /** Requests by `Service.Operation`, e.g. `DynamoDB.BatchWriteItem`. */
  readonly requests: Record<string, number>;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly units: CapacityUnits;
}

export const emptyTraffic = (): Traffic => ({
  requests: {},
  requestBytes: 0,
  responseBytes: 0,
  units: noUnits(),
});

/** Sums traffic records. */
export function addTraffic(a: Traffic, b: Traffic): Traffic {
  const requests = { ...a.requests };
  for (const [name, n] of Object.entries(b.requests)) requests[name] = (requests[name] ?? 0) + n;
  return {
    requests,
    requestBytes: a.requestBytes + b.requestBytes,
    responseBytes: a.responseBytes + b.responseBytes,
    units: sumUnits(a.units, b.units, 1),
  };
}

/** `a + factor × b`, unit by unit. */
export function sumUnits(a: CapacityUnits, b: CapacityUnits, factor: number): CapacityUnits {
  const sum = noUnits();
  for (const key of Object.keys(sum) as (keyof CapacityUnits)[]) sum[key] = a[key] + factor * b[key];
  return sum;
}

export const totalRequests = (traffic: Traffic): number =>
  Object.values(traffic.requests).reduce((total, n) => total + n, 0);

interface HttpMessage {
  headers: Record<string, string | undefined>;
  body?: unknown;
}

interface MeterOptions {
  /** Parse DynamoDB bodies and count capacity units (costs some CPU in the measured process). */
  readonly units?: boolean;
  /** Tables with a local secondary index, and its sort-key attribute. */
  readonly indexed?: IndexedAttributes;
}

/** Meters the three clients of a handler. */
export class TrafficMeter {
  private requests: Record<string, number> = {};
  private requestBytes = 0;
  private responseBytes = 0;
  private readonly capacity: CapacityCounter;

  constructor(private readonly options: MeterOptions = {}) {
    this.capacity = new CapacityCounter(options.indexed ?? {});
  }

  /** Attaches to every client; returns them for chaining. */
  attachAll(clients: AwsClients): AwsClients {
    this.attach(clients.dynamodb, 'DynamoDB');
    this.attach(clients.s3, 'S3');
    this.attach(clients.kinesis, 'Kinesis');
    return clients;
  }

  attach(client: { middlewareStack: { add(m: any, o: any): void } }, service: string): void {
    const parse = service === 'DynamoDB' && this.options.units === true;
    client.middlewareStack.add(
      (next: (args: any) => Promise<any>, context: { commandName?: string }) => async (args: any) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const name = `${service}.${operation}`;
        this.requests[name] = (this.requests[name] ?? 0) + 1;
        const request = args.request as HttpMessage;
        this.requestBytes += bodyBytes(request);
        const result = await next(args);
        const response = result.response as HttpMessage & { statusCode: number };
        if (parse || response.headers['content-length'] === undefined) {
          const body = await collect(response.body);
          this.responseBytes += body.byteLength;
          response.body = Readable.from([body]);
          if (parse && response.statusCode < 300) {
            const target = (request.headers['x-amz-target'] ?? '').split('.').pop() ?? operation;
            this.capacity.count(
              target,
              JSON.parse(bodyText(request.body)),
              JSON.parse(body.toString('utf8')),
            );
          }
        } else {
          this.responseBytes += Number(response.headers['content-length']);
        }
        return result;
      },
      { step: 'deserialize', priority: 'low', name: `benchTrafficMeter-${service}`, override: true },
    );
  }

  /** What was counted since the last call, then resets. */
  take(): Traffic {
    const taken: Traffic = {
      requests: this.requests,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      units: this.capacity.take(),
    };
    this.requests = {};
    this.requestBytes = 0;
    this.responseBytes = 0;
    return taken;
  }
}

function bodyBytes(message: HttpMessage): number {
  const body = message.body;
  if (typeof body === 'string') return Buffer.byteLength(body, 'utf8');
  if (body instanceof Uint8Array) return body.byteLength;
  const length = message.headers['content-length'] ?? message.headers['Content-Length'];
  return length === undefined ? 0 : Number(length);
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '{}';
}

async function collect(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
