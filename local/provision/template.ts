import { UnsupportedPropertyError } from './errors.js';

/**
 * The parts of a synthesized CloudFormation template local provisioning reads. Values are left
 * as CloudFormation wrote them (literals or intrinsics such as `{ Ref }`); `resolve.ts` turns them
 * into local names.
 */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Metadata?: Readonly<Record<string, unknown>>;
}

/** A CloudFormation template (only `Resources` is read). */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResource>>;
}

/** The resource types local provisioning creates, runs or names. */
export const RESOURCE_TYPES = {
  stream: 'AWS::Kinesis::Stream',
  table: 'AWS::DynamoDB::Table',
  bucket: 'AWS::S3::Bucket',
  function: 'AWS::Lambda::Function',
  eventSourceMapping: 'AWS::Lambda::EventSourceMapping',
  rule: 'AWS::Events::Rule',
  role: 'AWS::IAM::Role',
  queue: 'AWS::SQS::Queue',
  logGroup: 'AWS::Logs::LogGroup',
} as const;

/** `[logicalId, resource]` of every resource of `type`, in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
}

/** The logical id a `{ Ref }` or `{ Fn::GetAtt }` points at, or `undefined` for anything else. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return object.Ref;
  const getAtt = object['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

type Literal = string | number | boolean;
type LiteralName<T extends Literal> = T extends string ? 'string' : T extends number ? 'number' : 'boolean';

/**
 * A property that must be a literal (local provisioning resolves no Parameters or conditions in
 * settings), or `fallback` when absent.
 *
 * @throws {@link UnsupportedPropertyError} when the property is present but not a literal of that type
 */
export function literalProperty<T extends Literal>(
  logicalId: string,
  resource: CfnResource,
  name: string,
  fallback: T,
): T extends string ? string : T extends number ? number : boolean {
  const value = resource.Properties?.[name];
  if (value === undefined) return fallback as never;
  const type = typeof fallback as LiteralName<T>;
  if (typeof value === type) return value as never;
  throw new UnsupportedPropertyError(
    logicalId,
    name,
    value,
    `give it a literal ${type} in the stack (the local runner reads settings as literals).`,
  );
}
