import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ExpressionError, type TextPosition } from '../plan/expressions/errors.js';

/**
 * Spark SQL text → sqlparser-rs's AST, with its Spark dialect (backticks, `INTERVAL 10 MINUTES`,
 * `<=>`, `DIV`), through the `@guanmingchiu/sqlparser-ts` WebAssembly build of
 * apache/datafusion-sqlparser-rs. The grammar is theirs; this file only loads it.
 *
 * The package's own entry point initializes asynchronously; query definitions (`expr("...")`,
 * `sql("...")`) are synchronous, so the WebAssembly module is compiled synchronously on first use
 * (Node allows it; about 0.3–1.5 s once per process, paid only by queries that parse text).
 */

/** One node of sqlparser-rs's JSON AST (serde's externally tagged enums). */
export type SqlAst = any;

interface Glue {
  initSync(options: { module: Uint8Array }): unknown;
  parse_sql(dialect: string, sql: string): SqlAst[];
}

let glue: Glue | undefined;

function loadGlue(): Glue {
  if (glue !== undefined) return glue;
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@guanmingchiu/sqlparser-ts')), '..', 'wasm');
  const loaded = require(join(wasmDir, 'sqlparser_rs_wasm.js')) as Glue;
  loaded.initSync({ module: readFileSync(join(wasmDir, 'sqlparser_rs_wasm_bg.wasm')) });
  glue = loaded;
  return loaded;
}

const POSITION = /at Line: (\d+), Column: (\d+)/;

/** Parses SQL statements; a syntax error becomes an {@link ExpressionError} with the position. */
export function parseStatements(text: string): SqlAst[] {
  try {
    return loadGlue().parse_sql('spark', text);
  } catch (error) {
    if (error instanceof ExpressionError) throw error;
    const raw = String((error as { message?: unknown })?.message ?? error).replace(/^sql parser error: /, '');
    const match = POSITION.exec(raw);
    const message = raw.replace(POSITION, '').trim();
    const position: TextPosition = match ? { line: Number(match[1]), column: Number(match[2]) } : endOf(text);
    throw new ExpressionError(`Syntax error: ${message}`, { text, position });
  }
}

/** The position just past the end of the text (where "found: EOF" errors point). */
function endOf(text: string): TextPosition {
  const lines = text.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}
