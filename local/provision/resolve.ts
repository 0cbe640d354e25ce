import { UnresolvableValueError } from './errors.js';

/** What a logical id resolves to locally: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface LocalResourceValues {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The pseudo parameters and resources a template's values resolve against. */
export interface ResolveContext {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly resources: ReadonlyMap<string, LocalResourceValues>;
}

const PARTITION = 'aws';
const URL_SUFFIX = 'amazonaws.com';

/**
 * Resolves a template value to a string, the way CloudFormation would have at deploy time but
 * against the locally created resources: literals, `Ref` (resources and pseudo parameters),
 * `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select` and `Fn::Split`. Returns `undefined` for
 * `AWS::NoValue`.
 *
 * @param where names the value in errors, e.g. `PageViewsQueryFunction.Environment.SLUICE_TABLE`
 * @throws {@link UnresolvableValueError} for any other intrinsic or an unknown logical id
 */
export function resolveValue(value: unknown, where: string, context: ResolveContext): string | undefined {
  const resolved = resolveAny(value, where, context);
  if (Array.isArray(resolved)) throw new UnresolvableValueError(where, value, 'it is a list, not a string');
  return resolved;
}

function resolveAny(value: unknown, where: string, context: ResolveContext): string | string[] | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((item) => resolveString(item, where, context));
  if (value === null || typeof value !== 'object')
    throw new UnresolvableValueError(where, value, 'not a value');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) throw new UnresolvableValueError(where, value, 'not a single intrinsic function');
  const [name, argument] = entries[0]!;
  switch (name) {
    case 'Ref':
      return ref(String(argument), where, context);
    case 'Fn::GetAtt':
      return getAtt(argument, where, context);
    case 'Fn::Join': {
      const [delimiter, parts] = argument as [string, unknown];
      const list = resolveAny(parts, where, context);
      if (!Array.isArray(list)) throw new UnresolvableValueError(where, value, 'Fn::Join needs a list');
      return list.join(delimiter);
    }
    case 'Fn::Split': {
      const [delimiter, source] = argument as [string, unknown];
      return resolveString(source, where, context).split(delimiter);
    }
    case 'Fn::Select': {
      const [index, list] = argument as [unknown, unknown];
      const items = resolveAny(list, where, context);
      const chosen = Array.isArray(items) ? items[Number(resolveString(index, where, context))] : undefined;
      if (chosen === undefined)
        throw new UnresolvableValueError(where, value, 'Fn::Select index out of range');
      return chosen;
    }
    case 'Fn::Sub':
      return sub(argument, where, context);
    default:
      throw new UnresolvableValueError(where, value, `${name} is not supported`);
  }
}

function resolveString(value: unknown, where: string, context: ResolveContext): string {
  const resolved = resolveAny(value, where, context);
  if (typeof resolved !== 'string') throw new UnresolvableValueError(where, value, 'expected a string');
  return resolved;
}

function ref(name: string, where: string, context: ResolveContext): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Partition':
      return PARTITION;
    case 'AWS::URLSuffix':
      return URL_SUFFIX;
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:${PARTITION}:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/local`;
    case 'AWS::NoValue':
      return undefined;
  }
  const resource = context.resources.get(name);
  if (resource === undefined)
    throw new UnresolvableValueError(where, { Ref: name }, `no locally known resource '${name}'`);
  return resource.ref;
}

function getAtt(argument: unknown, where: string, context: ResolveContext): string {
  const [id, attribute] = Array.isArray(argument)
    ? [String(argument[0]), String(argument[1])]
    : (String(argument).split(/\.(.*)/s) as [string, string]);
  const value = context.resources.get(id)?.attributes[attribute];
  if (value === undefined) {
    throw new UnresolvableValueError(
      where,
      { 'Fn::GetAtt': [id, attribute] },
      context.resources.has(id)
        ? `attribute '${attribute}' is not known locally`
        : `no locally known resource '${id}'`,
    );
  }
  return value;
}

function sub(argument: unknown, where: string, context: ResolveContext): string {
  const [text, variables] = Array.isArray(argument)
    ? [String(argument[0]), (argument[1] ?? {}) as Record<string, unknown>]
    : [String(argument), {}];
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, literalMarker: string, name: string) => {
    if (literalMarker === '!') return `\${${name}}`;
    if (name in variables) return resolveString(variables[name], where, context);
    if (name.includes('.') && !name.startsWith('AWS::')) {
      const [id, attribute] = name.split(/\.(.*)/s) as [string, string];
      return getAtt([id, attribute], where, context);
    }
    return ref(name, where, context) ?? '';
  });
}
