import { execFileSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import { Readable } from 'node:stream';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnNodeChild } from '../../local/emulators/child.js';
import {
  ContainerRuntimeUnavailableError,
  EmulatorExitedError,
  EmulatorStartTimeoutError,
  type Emulators,
  freePorts,
  InvalidEndpointUrlError,
  isPortFree,
  probeContainerRuntime,
  S3RVER_CREDENTIALS,
  startEmulators,
  startKinesisLocal,
  startLocalStack,
} from '../../local/emulators/index.js';
import {
  dynamoDbRoundTrip,
  kinesisRoundTrip,
  listAll,
  listPage,
  putMany,
  s3RoundTrip,
  uniqueName,
} from './round-trips.js';

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/** Pids of this process's live children (the emulator children the harness spawned), `ps` itself excluded. */
function childPids(): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, command]) => pid && command !== 'ps')
      .map(([pid]) => pid!);
  } catch {
    return []; // ps exits 1 when there are none.
  }
}

describe('startEmulators with kinesalite, dynalite and s3rver', () => {
  let aws: Emulators;
  beforeAll(async () => {
    aws = await startEmulators({ backend: 'emulators' });
  });
  afterAll(() => aws?.stop());

  it('reports the backend, loopback endpoints, region, credentials and start-up times', () => {
    expect(aws.backend).toBe('emulators');
    expect(aws.kinesisEngine).toBe('kinesalite');
    expect(aws.region).toBe('us-east-1');
    expect(aws.credentials).toEqual(S3RVER_CREDENTIALS);
    for (const endpoint of Object.values(aws.endpoints))
      expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(Object.values(aws.endpoints)).size).toBe(3);
    expect(Object.keys(aws.startupMs).sort()).toEqual(['dynalite', 'kinesalite', 's3rver']);
  });

  it('round-trips records through Kinesis: CreateStream, PutRecords, GetRecords', async () => {
    const records = await kinesisRoundTrip(aws, 2, 50);
    expect(records).toEqual(Array.from({ length: 50 }, (_, i) => `record-${i}`));
  });

  it('queries a local secondary index of DynamoDB with a consistent read', async () => {
    const items = await dynamoDbRoundTrip(aws);
    expect(items.map((item) => [item.sk, item.expiresAt])).toEqual([
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ]);
  });

  it('puts and gets an S3 object', async () => {
    const { body } = await s3RoundTrip(aws);
    expect(body).toBe('{"n":1}\n{"n":2}\n');
  });

  it('stores a streamed S3 upload byte for byte', async () => {
    const { bucket } = await s3RoundTrip(aws);
    const Body = Readable.from([Buffer.from('{"n":1}\n'), Buffer.from('{"n":2}\n')]);
    await aws.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'streamed', Body, ContentLength: 16 }),
    );
    const got = await aws.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'streamed' }));
    expect(await got.Body?.transformToString()).toBe('{"n":1}\n{"n":2}\n');
  });

  it('lists more than 1,000 S3 objects in pages with continuation tokens', async () => {
    const bucket = uniqueName('paged');
    await aws.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = await putMany(aws, bucket, 'q/data/', 1_050);

    // The first page stops at S3's 1,000-key limit and hands out a continuation token...
    const first = await listPage(aws, bucket, 'q/');
    expect(first.Contents).toHaveLength(1_000);
    expect(first.IsTruncated).toBe(true);
    expect(first.NextContinuationToken).toBeTruthy();
    // ...which s3rver can only mint and read with OpenSSL's legacy provider (see local/emulators/s3.ts).
    const second = await listPage(aws, bucket, 'q/', first.NextContinuationToken);
    expect(second.Contents).toHaveLength(50);
    expect(second.IsTruncated).toBe(false);

    expect(await listAll(aws, bucket, 'q/')).toEqual({ keys, pages: 2, tokens: 1 });
    const small = await listAll(aws, bucket, 'q/', 300);
    expect(small.keys).toEqual(keys);
    expect(small.pages).toBe(4);
  });
});

describe('startEmulators with kinesis-local', () => {
  it('round-trips records through a one-shard stream, then stop frees its port', async () => {
    const aws = await startEmulators({ backend: 'emulators', kinesis: 'kinesis-local' });
    try {
      expect(aws.kinesisEngine).toBe('kinesis-local');
      expect(await kinesisRoundTrip(aws, 1, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `record-${i}`));
    } finally {
      await aws.stop();
    }
    expect(await isPortFree(portOf(aws.endpoints.kinesis))).toBe(true);
  });

  it('names kinesis-local when it does not start in time, and leaves no process behind', async () => {
    const before = childPids();
    const error = await startKinesisLocal({
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
      startTimeoutMs: 20,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorStartTimeoutError);
    expect(error).toMatchObject({ code: 'SLUICE_EMULATOR_START_TIMEOUT', emulator: 'kinesis-local' });
    expect((error as Error).message).toMatch(
      /^kinesis-local \(http:\/\/127\.0\.0\.1:\d+\) did not become ready within 20 ms/,
    );
    expect((error as Error).message).toContain('startTimeoutMs');
    expect(childPids().filter((pid) => !before.includes(pid))).toEqual([]);
  });
});

describe('emulator child processes', () => {
  it('report an early exit as a typed error with the exit code and the last output', async () => {
    const child = spawnNodeChild({
      name: 's3rver',
      script: "console.error('cannot find module s3rver'); process.exit(3);",
      env: process.env,
    });
    const error = await child.failed.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorExitedError);
    expect(error).toMatchObject({ code: 'SLUICE_EMULATOR_EXITED', emulator: 's3rver' });
    expect((error as Error).message).toContain('exit code 3');
    expect((error as Error).message).toContain('cannot find module s3rver');
    await child.stop();
  });
});

describe('stop()', () => {
  it('frees every port, ends the s3rver child and is idempotent', async () => {
    const before = childPids();
    const aws = await startEmulators({ backend: 'emulators' });
    const ports = Object.values(aws.endpoints).map(portOf);
    for (const port of ports) expect(await isPortFree(port)).toBe(false);
    expect(childPids().length).toBe(before.length + 1);

    await aws.stop();
    await aws.stop();
    for (const port of ports) expect(await isPortFree(port)).toBe(true);
    expect(childPids()).toEqual(before);
  });
});

describe('AWS_ENDPOINT_URL', () => {
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('points every client at the one endpoint instead of starting emulators', async () => {
    // One endpoint for all three services, like LocalStack: a proxy that routes on the request.
    const backing = await startEmulators({ backend: 'emulators' });
    const proxy = createServer((req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const endpoint = target.startsWith('Kinesis_')
        ? backing.endpoints.kinesis
        : target.startsWith('DynamoDB_')
          ? backing.endpoints.dynamodb
          : backing.endpoints.s3;
      const upstream = request(
        `${endpoint}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    const [port] = (await freePorts(1)) as [number];
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${port}`;
    vi.stubEnv('AWS_ENDPOINT_URL', url);
    const before = childPids();
    try {
      const aws = await startEmulators();
      try {
        expect(aws.backend).toBe('endpoint');
        expect(aws.endpoints).toEqual({ kinesis: url, dynamodb: url, s3: url });
        expect(childPids()).toEqual(before); // nothing was started
        expect(await kinesisRoundTrip(aws, 1, 5)).toHaveLength(5);
        expect(await dynamoDbRoundTrip(aws)).toHaveLength(3);
        expect((await s3RoundTrip(aws)).body).toBe('{"n":1}\n{"n":2}\n');
        await aws.clients.dynamodb.send(new ListTablesCommand({}));
      } finally {
        await aws.stop();
      }
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await backing.stop();
    }
  });

  it('rejects a value that is not an http(s) URL', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', 'localhost:4566');
    await expect(startEmulators()).rejects.toBeInstanceOf(InvalidEndpointUrlError);
  });

  it('names the endpoint when nothing answers there', async () => {
    const [port] = (await freePorts(1)) as [number];
    const error = await startEmulators({
      endpointUrl: `http://127.0.0.1:${port}`,
      startTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorStartTimeoutError);
    expect(error).toMatchObject({ emulator: 'endpoint' });
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}`);
  });
});

describe('LocalStack via testcontainers', () => {
  it('runs the same round trips on LocalStack when a container runtime is available', {
    timeout: 300_000,
  }, async (ctx) => {
    const localstack = await startLocalStack({ region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
    if (!localstack.available) {
      // Skipped, never passed: the reason (e.g. "Could not find a working container runtime strategy") is reported.
      expect(localstack.error).toBeInstanceOf(ContainerRuntimeUnavailableError);
      return ctx.skip(`no container runtime for LocalStack: ${localstack.reason}`);
    }
    const aws = localstack.emulators;
    try {
      expect(aws.backend).toBe('localstack');
      await aws.clients.kinesis.send(new ListStreamsCommand({}));
      expect(await kinesisRoundTrip(aws, 1, 10)).toHaveLength(10);
      expect(await dynamoDbRoundTrip(aws)).toHaveLength(3);
      expect((await s3RoundTrip(aws)).body).toBe('{"n":1}\n{"n":2}\n');
    } finally {
      await aws.stop();
    }
  });

  it('reports a missing container runtime as a typed error when LocalStack is requested', async (ctx) => {
    const runtime = await probeContainerRuntime();
    if (runtime.available) ctx.skip('a container runtime is available here');
    const error = await startEmulators({ backend: 'localstack' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerRuntimeUnavailableError);
    expect(error).toMatchObject({ code: 'SLUICE_CONTAINER_RUNTIME_UNAVAILABLE', emulator: 'localstack' });
    expect((error as Error).message).toContain('Docker');
  });
});
