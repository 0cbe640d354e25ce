import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';

/** An S3 bucket on s3rver for one test file; `s3()` is its client (valid inside tests). */
export interface S3Fixture {
  readonly bucket: string;
  s3(): S3Client;
}

/** Starts the emulators before the file's tests, creates `bucket`, stops them afterwards. */
export function useS3Bucket(bucket: string): S3Fixture {
  let emulators: Emulators | undefined;
  beforeAll(async () => {
    emulators = await startEmulators();
    await emulators.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  return {
    bucket,
    s3: () => {
      if (emulators === undefined) throw new Error('emulators not started');
      return emulators.clients.s3;
    },
  };
}

/** Every key below a prefix (paged). */
export async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** An object's bytes. */
export async function getBytes(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToByteArray();
}

/** Every object below a prefix, key → bytes (for byte-for-byte comparisons). */
export async function snapshot(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const key of await listKeys(client, bucket, prefix)) {
    result.set(key, Buffer.from(await getBytes(client, bucket, key)).toString('base64'));
  }
  return result;
}
