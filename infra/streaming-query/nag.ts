import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (AwsSolutions) findings the construct accepts by design, each with the reason a reviewer
 * needs. Everything else must pass the checks; these are acknowledged on the exact resource (or
 * finding) they concern, never stack-wide.
 */
export const ACKNOWLEDGED_FINDINGS = {
  /** AwsSolutions-L1 on both functions. */
  runtime:
    'sluice pins nodejs22.x: the engine and its bundle are built and tested for Node 22 (target node22); moving to a newer runtime is a deliberate, tested upgrade rather than an automatic one.',
  /** AwsSolutions-SQS3 on the event source's on-failure queue. */
  failureQueue:
    "This queue is itself the terminal dead-letter destination of the Kinesis event source mapping (its on-failure destination); a DLQ behind it would only move the same batch descriptions again. The construct's failedBatchesAlarm watches it.",
  /** AwsSolutions-S1 on an output bucket created without an access-log bucket. */
  accessLogs:
    "Only the query's own function role writes here, under its own prefix; use CloudTrail S3 data events for auditing, or pass serverAccessLogsBucket to turn on server access logs.",
  /** AwsSolutions-IAM5 for the object ARN under the query's prefix. */
  outputPrefix:
    'Object-level S3 permissions need a key wildcard: the function writes objects named by batch id and shard under its own PREFIX/QUERY/ prefix only (data, manifests, dead letters, progress), nothing else in the bucket.',
} as const;

/** Acknowledges one rule on one construct (and the resources beneath it). */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges an IAM5 wildcard finding for `resourceArn` on the role (or policy) holding it. The
 * finding's id embeds the resource as cdk-nag prints it (`<Logical.Arn>/prefix/*`), so the ARN is
 * resolved and flattened the same way.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resourceArn: string, reason: string): void {
  const flat = flattenReference(Stack.of(scope).resolve(resourceArn));
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}

/** cdk-nag's rendering of a CloudFormation expression (utils/flatten-cfn-reference in cdk-nag 3). */
function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const expression = node as Record<string, unknown>;
  if (expression['Fn::Join'] !== undefined) {
    const [delimiter, items] = expression['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (expression['Fn::Sub'] !== undefined) return flattenReference(expression['Fn::Sub']);
  if (expression['Fn::GetAtt'] !== undefined) {
    const [resource, attribute] = expression['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (expression['Fn::ImportValue'] !== undefined) return flattenReference(expression['Fn::ImportValue']);
  if (expression.Ref !== undefined) return `<${flattenReference(expression.Ref)}>`;
  return JSON.stringify(node);
}
