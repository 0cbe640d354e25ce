import { type Duration, Validations } from 'aws-cdk-lib';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import * as defaults from './defaults.js';
import type { StreamingQueryProps } from './props.js';

/**
 * Expire this query's dead letters, late rows and progress records and the noncurrent versions
 * of its deleted state objects, and abort its stale multipart uploads.
 * Lifecycle filters take literal prefixes (no `PREFIX/*\/_dead/`), so each query adds rules for
 * its own prefixes; an imported bucket cannot take rules from here, which a warning says.
 */
export function addLifecycleRules(
  scope: Construct,
  target: {
    readonly bucket: IBucket;
    readonly queryName: string;
    readonly keyPrefix: string;
    readonly props: StreamingQueryProps;
    /** `PREFIX/<stage-1 name>` of each stage 1 of a two-stage query. */
    readonly stageOnePrefixes: readonly string[];
  },
): void {
  const bucket = target.bucket;
  if (!(bucket instanceof Bucket)) {
    Validations.of(scope).addWarning(
      'sluice:LifecycleNotManaged',
      `The bucket of query '${target.queryName}' is imported, so its lifecycle is not managed here: expire ${target.keyPrefix}/_dead/, ${target.keyPrefix}/_late/ and ${target.keyPrefix}/_progress/ on the bucket itself (and, if it is versioned, the noncurrent versions under ${target.keyPrefix}/_state/; never its current objects).`,
    );
    return;
  }
  const expire = (suffix: string, after: Duration) =>
    bucket.addLifecycleRule({
      id: `${target.queryName}-${suffix}`,
      prefix: `${target.keyPrefix}/_${suffix}/`,
      expiration: after,
      noncurrentVersionExpiration: after,
    });
  expire('dead', target.props.deadLetterExpiration ?? defaults.DEFAULT_DEAD_LETTER_EXPIRATION);
  expire('late', target.props.lateRowsExpiration ?? defaults.DEFAULT_LATE_ROWS_EXPIRATION);
  expire('progress', target.props.progressExpiration ?? defaults.DEFAULT_PROGRESS_EXPIRATION);
  // Stage 1 of a two-stage query (`PREFIX/QUERY.stage-1/`) keeps dead letters, the manifests that
  // list them (only batches with dead letters have one, so they expire together) and progress.
  for (const [i, stagePrefix] of target.stageOnePrefixes.entries()) {
    const name = i === 0 ? 'stage-1' : `stage-1-${i + 1}`;
    const deadAfter = target.props.deadLetterExpiration ?? defaults.DEFAULT_DEAD_LETTER_EXPIRATION;
    for (const [suffix, after] of [
      ['dead', deadAfter],
      ['manifest', deadAfter],
      ['progress', target.props.progressExpiration ?? defaults.DEFAULT_PROGRESS_EXPIRATION],
    ] as const) {
      bucket.addLifecycleRule({
        id: `${target.queryName}-${name}-${suffix}`,
        prefix: `${stagePrefix}/_${suffix}/`,
        expiration: after,
        noncurrentVersionExpiration: after,
      });
    }
  }
  // S3 state: the store deletes what no commit names any more (at each snapshot); in a versioned
  // bucket those deletes leave noncurrent versions and delete markers, which this rule removes.
  // No expiration of current objects: a snapshot is live however old it is.
  bucket.addLifecycleRule({
    id: `${target.queryName}-state-superseded`,
    prefix: `${target.keyPrefix}/_state/`,
    noncurrentVersionExpiration: defaults.DEFAULT_STATE_NONCURRENT_EXPIRATION,
    expiredObjectDeleteMarker: true,
  });
  bucket.addLifecycleRule({
    id: `${target.queryName}-incomplete-uploads`,
    prefix: `${target.keyPrefix}/`,
    abortIncompleteMultipartUploadAfter: defaults.DEFAULT_ABORT_INCOMPLETE_UPLOADS,
  });
}
