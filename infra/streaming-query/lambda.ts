import { relative, sep } from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { ACKNOWLEDGED_FINDINGS, acknowledge } from './nag.js';

/** The runtime sluice functions are built for and tested on. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_22_X;
/** Graviton: cheaper per GB-second for the same work. */
export const FUNCTION_ARCHITECTURE = Architecture.ARM_64;

/**
 * The engine is ESM; its dependencies (AWS SDK, zod, Powertools) are partly CommonJS, so an ESM
 * bundle needs a `require` for them.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/**
 * Query functions ship the SQL parser's package beside the bundle: its WebAssembly module is a
 * file the engine loads at run time (on the first `expr("...")` or `sql("...")`), which esbuild
 * cannot inline. The engine resolves it from the bundle's folder (`node_modules/...`).
 */
const SQL_PARSER_PACKAGE = '@guanmingchiu/sqlparser-ts';
const NO_HOOKS = { beforeBundling: () => [], beforeInstall: () => [], afterBundling: () => [] };
const SQL_PARSER_HOOKS = {
  ...NO_HOOKS,
  afterBundling: (inputDir: string, outputDir: string): string[] => [
    `mkdir -p "${outputDir}/node_modules/${SQL_PARSER_PACKAGE}"`,
    `cp -R "${inputDir}/node_modules/${SQL_PARSER_PACKAGE}/package.json" "${inputDir}/node_modules/${SQL_PARSER_PACKAGE}/dist" "${inputDir}/node_modules/${SQL_PARSER_PACKAGE}/wasm" "${outputDir}/node_modules/${SQL_PARSER_PACKAGE}/"`,
  ],
};

/**
 * Template metadata on each sluice function, read by local provisioning (local/provision) to run
 * the TypeScript source the bundle was built from: `entry` (relative to the project root), the
 * `query` it belongs to and its `role`.
 */
export const FUNCTION_METADATA = {
  entry: 'sluice:entry',
  query: 'sluice:query',
  role: 'sluice:role',
} as const;

/**
 * The query's run id variable (functions/config.ts `SLUICE_RUN_ID`; infra does not import the
 * functions' config here to keep this file free of zod).
 */
export const RUN_ID_VARIABLE = 'SLUICE_RUN_ID';

/**
 * The hash of the function's code asset: a deployment of new code is a new run of the query
 * (Spark's `runId`), so each input's watermark restarts from new data as after a Spark restart;
 * redeploying the same code keeps the run.
 */
function codeHashOf(fn: NodejsFunction): string {
  const asset = fn.node.tryFindChild('Code');
  if (asset instanceof Asset) return asset.assetHash;
  throw new Error(
    `sluice: the code asset of ${fn.node.path} was not found; set SLUICE_RUN_ID in \`environment\`.`,
  );
}

/** What a sluice function does: run a query's micro-batches, or tick its heartbeats. */
export type SluiceFunctionRole = 'query' | 'heartbeat';

/** A sluice function and the resources only it uses. */
export interface SluiceFunction {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
}

/**
 * A Node.js function bundled by the local esbuild (never Docker), minified, with source maps, as
 * an ESM bundle that includes the pinned AWS SDK (the runtime's SDK version may differ from the
 * one the engine is tested with). Its role starts empty except for writing its own log group:
 * every other permission is granted explicitly (no managed policies, no `*` log resources).
 */
export function createSluiceFunction(
  scope: Construct,
  id: string,
  props: {
    readonly description: string;
    readonly entry: string;
    readonly handler: string;
    readonly projectRoot: string;
    readonly memorySize: number;
    readonly timeout: Duration;
    readonly environment: Readonly<Record<string, string>>;
    readonly logRetention: RetentionDays;
    /** Written to the template as {@link FUNCTION_METADATA}. */
    readonly sluice: { readonly query: string; readonly role: SluiceFunctionRole };
  },
): SluiceFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Role of ${props.description}`,
  });
  logGroup.grantWrite(role);
  const fn = new NodejsFunction(scope, id, {
    description: props.description,
    entry: props.entry,
    handler: props.handler,
    projectRoot: props.projectRoot,
    depsLockFilePath: `${props.projectRoot.replace(/\/$/, '')}/package-lock.json`,
    runtime: FUNCTION_RUNTIME,
    architecture: FUNCTION_ARCHITECTURE,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    // Stack traces point at the TypeScript sources (the bundle ships its source map).
    environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    bundling: {
      forceDockerBundling: false,
      minify: true,
      sourceMap: true,
      format: OutputFormat.ESM,
      mainFields: ['module', 'main'],
      banner: ESM_REQUIRE_BANNER,
      bundleAwsSDK: true,
      target: 'node22',
      commandHooks: props.sluice.role === 'query' ? SQL_PARSER_HOOKS : NO_HOOKS,
    },
  });
  acknowledge(fn, 'AwsSolutions-L1', ACKNOWLEDGED_FINDINGS.runtime);
  const resource = fn.node.defaultChild as CfnFunction;
  // NodejsFunction keeps the entry under projectRoot, so the relative path is portable.
  resource.addMetadata(
    FUNCTION_METADATA.entry,
    relative(props.projectRoot, props.entry).split(sep).join('/'),
  );
  resource.addMetadata(FUNCTION_METADATA.query, props.sluice.query);
  resource.addMetadata(FUNCTION_METADATA.role, props.sluice.role);
  if (props.sluice.role === 'query' && props.environment[RUN_ID_VARIABLE] === undefined) {
    fn.addEnvironment(RUN_ID_VARIABLE, codeHashOf(fn));
  }
  return { fn, role, logGroup };
}
