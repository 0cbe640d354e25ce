#!/usr/bin/env node
// The `sluice` command. tsx is registered first so the user's CDK app and handlers (TypeScript)
// can be loaded; then the CLI runs from its TypeScript sources in a clone of the repository, or
// from the compiled `dist/` in an installed package (which ships no sources).
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const sources = new URL('../cli/main.ts', import.meta.url);
await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href);
