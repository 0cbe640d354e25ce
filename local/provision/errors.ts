import { SluiceError } from '../../engine/errors.js';

/**
 * Root of every error local provisioning throws. Match on `code`, which is stable; the message
 * says what is wrong with the template or the emulators and how to fix it.
 */
export class ProvisionError extends SluiceError {}

/** The app did not synthesize to exactly one stack to run, or a stack has no resources. */
export class TemplateSelectionError extends ProvisionError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('SLUICE_PROVISION_TEMPLATE', message, { context });
  }
}

/** A template value uses an intrinsic or a resource the local provisioner cannot resolve. */
export class UnresolvableValueError extends ProvisionError {
  constructor(where: string, value: unknown, reason: string) {
    super(
      'SLUICE_PROVISION_UNRESOLVABLE',
      `Cannot resolve ${where} = ${JSON.stringify(value)} locally: ${reason}. Local provisioning resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub and Fn::Select to the resources it creates (Kinesis streams, DynamoDB tables, S3 buckets) and to names for functions, roles, queues and log groups; give the value a literal, or override it with the \`environment\` option.`,
      { context: { where, value } },
    );
  }
}

/** A function the event source mapping or schedule targets lacks the `sluice:*` metadata. */
export class MissingFunctionMetadataError extends ProvisionError {
  constructor(logicalId: string, key: string) {
    super(
      'SLUICE_PROVISION_FUNCTION_METADATA',
      `Function ${logicalId} has no '${key}' metadata, so the local runner does not know which TypeScript file it runs. Create it with the StreamingQuery construct (infra/streaming-query/lambda.ts adds sluice:entry, sluice:query and sluice:role), or add the metadata to its AWS::Lambda::Function resource.`,
      { context: { logicalId, key } },
    );
  }
}

/** A template property the local runner cannot honour (e.g. ParallelizationFactor above 1). */
export class UnsupportedPropertyError extends ProvisionError {
  constructor(logicalId: string, property: string, value: unknown, fix: string) {
    super(
      'SLUICE_PROVISION_UNSUPPORTED',
      `${logicalId}.${property} = ${JSON.stringify(value)} is not supported locally: ${fix}`,
      { context: { logicalId, property, value } },
    );
  }
}

/** An emulator refused to create a resource of the template. */
export class ResourceCreationError extends ProvisionError {
  constructor(kind: string, name: string, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      'SLUICE_PROVISION_CREATE',
      `Could not create ${kind} '${name}' on the emulator (${detail}). Check that the emulators are running (startEmulators) and that the template's properties are valid for ${kind}.`,
      { cause, context: { kind, name } },
    );
  }
}
