import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadBytes, payloadJson, payloadObject } from '../../../../engine/aws/kinesis/payload.js';

/** The reference rules the fast checks must agree with: a regex for base64, a fatal TextDecoder for UTF-8. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const fatal = new TextDecoder('utf-8', { fatal: true });

function referenceBytes(base64: string): 'invalid' | 'empty' | Buffer {
  if (base64.length === 0) return 'empty';
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) return 'invalid';
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  if ((base64.length / 4) * 3 - padding === 0) return 'empty';
  return Buffer.from(base64, 'base64');
}

function referenceText(bytes: Uint8Array): string | undefined {
  try {
    return fatal.decode(bytes);
  } catch {
    return undefined;
  }
}

// Mostly alphabet characters, with the characters Node's lenient decoder treats specially.
const base64ish = fc
  .array(
    fc.oneof(
      {
        weight: 20,
        arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'),
      },
      { weight: 3, arbitrary: fc.constant('=') },
      { weight: 1, arbitrary: fc.constantFrom('-', '_', ' ', '\n', '*', '.', 'é', '\u0000') },
    ),
    { maxLength: 24 },
  )
  .map((chars) => chars.join(''));

describe('payload decoding without a regex or TextDecoder', () => {
  it('accepts and rejects base64 exactly as the alphabet rule does, with the same bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          base64ish,
          fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('base64')),
        ),
        (text) => {
          const expected = referenceBytes(text);
          const actual = payloadBytes(text, 1024);
          if (expected === 'invalid') expect(actual).toEqual({ ok: false, reason: 'invalid base64' });
          else if (expected === 'empty') expect(actual).toEqual({ ok: false, reason: 'empty record' });
          else {
            expect(actual.ok).toBe(true);
            if (actual.ok) expect(Buffer.compare(actual.value, expected)).toBe(0);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('rejects exactly the byte strings a fatal UTF-8 decoder rejects, and drops a leading BOM like it', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 8 }).map((s) => new TextEncoder().encode(s)),
      // A real U+FFFD (EF BF BD) next to valid or invalid bytes.
      fc
        .tuple(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }))
        .map(([a, b]) => Buffer.concat([a, Buffer.from([0xef, 0xbf, 0xbd]), b])),
      fc
        .string({ unit: 'binary', maxLength: 8 })
        .map((s) => new TextEncoder().encode(JSON.stringify({ s: `\uFFFD${s}` }))),
      fc
        .string({ unit: 'binary', maxLength: 8 })
        .map((s) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ s }))])),
    );
    fc.assert(
      fc.property(bytesArb, (raw) => {
        const bytes = Buffer.from(raw);
        const text = referenceText(bytes);
        const actual = payloadObject(bytes, undefined);
        if (text === undefined) {
          expect(actual).toEqual({ ok: false, reason: 'invalid UTF-8' });
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          expect(actual.ok).toBe(false);
          if (!actual.ok) expect(actual.reason.startsWith('malformed JSON')).toBe(true);
          return;
        }
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
          expect(actual).toEqual({ ok: true, value: parsed });
        } else {
          expect(actual.ok).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the JSON fast path (atob) gives exactly what bytes then object give, for any input', () => {
    const jsonish = fc
      .oneof(
        fc.object({ maxDepth: 2 }).map((o) => JSON.stringify(o)),
        fc.string({ unit: 'binary', maxLength: 10 }).map((s) => JSON.stringify({ s })),
        fc.string({ unit: 'binary', maxLength: 10 }).map((s) => `\uFEFF${JSON.stringify({ s })}`),
        fc.constantFrom('[]', '1', 'null', '"x"', '{', '{"a":1}'),
      )
      .map((text) => Buffer.from(text, 'utf8'));
    const payloads = fc.oneof(
      base64ish,
      jsonish.map((bytes) => bytes.toString('base64')),
      fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('base64')),
      // A valid payload with one character swapped for whitespace or a URL-safe one.
      fc.tuple(jsonish, fc.nat(), fc.constantFrom(' ', '\n', '\t', '-', '_', '=')).map(([bytes, at, c]) => {
        const text = bytes.toString('base64');
        const i = at % text.length;
        return text.slice(0, i) + c + text.slice(i + 1);
      }),
    );
    fc.assert(
      fc.property(payloads, fc.constantFrom(8, 1024), (base64, maxBytes) => {
        const bytes = payloadBytes(base64, maxBytes);
        const expected = bytes.ok ? payloadObject(bytes.value, undefined) : bytes;
        expect(payloadJson(base64, maxBytes)).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });
});
