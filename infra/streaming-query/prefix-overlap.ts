import { Token } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { StreamingQueryPropsError } from './errors.js';

/** What a query claims in a bucket: every object under `keyPrefix/`. */
export interface BucketClaim {
  readonly query: string;
  readonly bucket: IBucket;
  readonly keyPrefix: string;
}

/**
 * The claims made so far in each app, keyed by the app's root construct. A query's role may read
 * and write `keyPrefix/*`; two claims in one bucket where one key prefix is inside the other
 * (`team/a` for query `a` under prefix `team`, and `team/a/x` for query `x` under prefix `team/a`)
 * would let the outer query's role read and overwrite the inner query's objects, so the second one
 * is refused at synth time. No IAM pattern can carve the inner prefix out of the outer grant.
 */
const claimsByApp = new WeakMap<IConstruct, BucketClaim[]>();

/** Records `claim` for `scope`'s app, or throws naming both queries and the fix. */
export function claimBucketPrefix(scope: IConstruct, claim: BucketClaim): void {
  const root = scope.node.root;
  const claims = claimsByApp.get(root) ?? [];
  for (const other of claims) {
    if (!sameBucket(other.bucket, claim.bucket)) continue;
    if (!overlaps(other.keyPrefix, claim.keyPrefix)) continue;
    throw new StreamingQueryPropsError(
      claim.query,
      'prefix',
      `its objects under ${claim.keyPrefix}/ overlap those of query '${other.query}' under ${other.keyPrefix}/ in the same bucket, so one query's function could read and overwrite the other's outputs, dead letters and progress. Give the queries prefixes that are not inside one another (e.g. 'team-a' next to 'team'), or separate buckets.`,
    );
  }
  claims.push(claim);
  claimsByApp.set(root, claims);
}

/** Same bucket object, or the same literal bucket name (two imports of one bucket). */
function sameBucket(a: IBucket, b: IBucket): boolean {
  if (a === b) return true;
  const nameA = a.bucketName;
  const nameB = b.bucketName;
  return !Token.isUnresolved(nameA) && !Token.isUnresolved(nameB) && nameA === nameB;
}

/** Equal key prefixes, or one a whole-segment prefix of the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
