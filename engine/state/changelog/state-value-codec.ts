/**
 * State values as JSON text (the `value` column of the changelog files): plain JSON, with the
 * few kinds of data JSON lacks tagged so that they round-trip exactly, as the DynamoDB store
 * round-trips them natively:
 *
 * - `Uint8Array` (and `Buffer`) → `{"$bytes": "<base64>"}`
 * - `bigint` → `{"$bigint": "<decimal>"}`
 * - an object key that starts with `$` gets one more `$` (`{"$x": 1}` → `{"$$x": 1}`), so a
 *   user object can never be mistaken for a tag.
 *
 * As with DynamoDB, `undefined` object properties are dropped and `undefined` array items read
 * back as `null`. Text that contains no `"$` is parsed without a reviver (the common case).
 */
export function encodeStateValue(value: unknown): string {
  return JSON.stringify(value, replacer) ?? 'null';
}

export function decodeStateValue(text: string): unknown {
  return text.includes('"$') ? JSON.parse(text, reviver) : JSON.parse(text);
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the value before `toJSON` (Buffer has one that turns it into a plain object).
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array)
    return {
      $bytes: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64'),
    };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    let escaped: Record<string, unknown> | undefined;
    for (const name of Object.keys(value)) {
      if (name.startsWith('$')) {
        escaped = {};
        break;
      }
    }
    if (escaped === undefined) return value;
    for (const [name, inner] of Object.entries(value))
      escaped[name.startsWith('$') ? `$${name}` : name] = inner;
    return escaped;
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const names = Object.keys(record);
  if (names.length === 1) {
    const only = names[0]!;
    if (only === '$bytes' && typeof record.$bytes === 'string')
      return new Uint8Array(Buffer.from(record.$bytes, 'base64'));
    if (only === '$bigint' && typeof record.$bigint === 'string') return BigInt(record.$bigint);
  }
  if (!names.some((name) => name.startsWith('$$'))) return value;
  const unescaped: Record<string, unknown> = {};
  for (const name of names) unescaped[name.startsWith('$$') ? name.slice(1) : name] = record[name];
  return unescaped;
}
