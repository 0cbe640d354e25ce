import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// DESIGN.md: the engine core runs with no AWS at all (unit tests, local runner and Lambda share
// it); AWS code lives in engine/aws/. biome.json's noRestrictedImports catches static imports in
// the editor; this test also catches dynamic import() and require(), and fails in CI by file name.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENGINE = join(ROOT, 'engine');
const AWS_ADAPTERS = join(ENGINE, 'aws');

/** Module specifiers the engine core must not load. */
const FORBIDDEN = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^aws-cdk-lib(\/|$)/,
  /^aws-lambda(\/|$)/,
  /^@aws-lambda-powertools\//,
];

/** `from '…'` (import/export), bare `import '…'`, `import('…')` and `require('…')`, across line breaks. */
const SPECIFIERS = [
  /\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*[,)]/g,
  /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
];

/** The forbidden module specifiers a source text loads. */
function forbiddenImports(source: string): string[] {
  const found: string[] = [];
  for (const pattern of SPECIFIERS) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[1]!;
      if (FORBIDDEN.some((forbidden) => forbidden.test(specifier))) found.push(specifier);
    }
  }
  return found;
}

function typeScriptFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== AWS_ADAPTERS && entry.name !== 'node_modules') files.push(...typeScriptFiles(path));
    } else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

describe('the engine core imports nothing from AWS', () => {
  it('scans every .ts file under engine/ except engine/aws/', () => {
    const files = typeScriptFiles(ENGINE).map((file) => relative(ROOT, file).split(sep).join('/'));
    expect(files).toContain('engine/index.ts');
    expect(files).toContain('engine/plan/checker.ts');
    expect(files.some((file) => file.startsWith('engine/aws/'))).toBe(false);
    expect(files.length).toBeGreaterThan(30);
  });

  it('finds no AWS import in any of them', () => {
    const offenders = typeScriptFiles(ENGINE).flatMap((file) =>
      forbiddenImports(readFileSync(file, 'utf8')).map(
        (specifier) => `${relative(ROOT, file).split(sep).join('/')} imports '${specifier}'`,
      ),
    );
    expect(offenders, 'move AWS-dependent code to engine/aws/ and reach it through an interface').toEqual([]);
  });

  it('recognizes static, type-only, re-exported, side-effect, dynamic and require imports', () => {
    const source = [
      "import { S3Client } from '@aws-sdk/client-s3';",
      "import type { Context } from 'aws-lambda';",
      "export { marshall } from '@aws-sdk/util-dynamodb';",
      "import '@smithy/node-http-handler';",
      'import {',
      '  Stack,',
      "} from 'aws-cdk-lib';",
      "import * as lambda from 'aws-cdk-lib/aws-lambda';",
      "const tracer = await import('@aws-lambda-powertools/tracer');",
      'const kinesis = require("@aws-sdk/client-kinesis");',
      'const logger = await import(`@aws-lambda-powertools/logger`);',
    ].join('\n');
    expect(forbiddenImports(source).sort()).toEqual(
      [
        '@aws-sdk/client-s3',
        'aws-lambda',
        '@aws-sdk/util-dynamodb',
        '@smithy/node-http-handler',
        'aws-cdk-lib',
        'aws-cdk-lib/aws-lambda',
        '@aws-lambda-powertools/tracer',
        '@aws-sdk/client-kinesis',
        '@aws-lambda-powertools/logger',
      ].sort(),
    );
  });

  it('lets through engine modules and look-alike names', () => {
    const source = [
      "import { walkPlan } from '../plan/nodes.js';",
      "import type { StandardSchemaV1 } from '@standard-schema/spec';",
      "import { z } from 'zod';",
      "import { x } from 'aws-lambda-mock-context';",
      "import { y } from 'my-aws-sdk';",
      "const text = 'written from the aws-sdk docs';",
    ].join('\n');
    expect(forbiddenImports(source)).toEqual([]);
  });
});
