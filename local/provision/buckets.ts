import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { ResourceCreationError } from './errors.js';
import { localName } from './names.js';
import { type CfnTemplate, literalProperty, RESOURCE_TYPES, resourcesOfType } from './template.js';
import type { LocalBucket } from './types.js';

/** A bucket to create. */
export type BucketPlan = Omit<LocalBucket, 'arn'>;

/** The template's buckets: `BucketName` or a lowercase local name. */
export function planBuckets(
  template: CfnTemplate,
  naming: { readonly stackName: string; readonly suffix?: string },
): BucketPlan[] {
  return resourcesOfType(template, RESOURCE_TYPES.bucket).map(([logicalId, resource]) => {
    const named = literalProperty(logicalId, resource, 'BucketName', '');
    return {
      logicalId,
      name: named !== '' ? named : localName('bucket', naming.stackName, logicalId, naming.suffix),
    };
  });
}

/**
 * Creates the bucket (one this account already owns is reused). Encryption, public access
 * blocks, lifecycle rules and bucket policies are not emulated.
 */
export async function createBucket(client: S3Client, plan: BucketPlan): Promise<LocalBucket> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: plan.name }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
      throw new ResourceCreationError('S3 bucket', plan.name, error);
  }
  return { ...plan, arn: `arn:aws:s3:::${plan.name}` };
}
