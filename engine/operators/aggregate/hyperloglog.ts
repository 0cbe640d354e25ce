/**
 * HyperLogLog cardinality sketch (Flajolet et al., with linear counting for small ranges as in
 * HLL++). Registers live in a `Uint8Array` so sketches persist as binary state and merge by
 * register-wise max, which makes estimates independent of batch boundaries.
 */

/** Spark's rule: precision p = ceil(2 * log2(1.106 / rsd)), at least 4. */
export function hllPrecisionFor(rsd: number): number {
  if (!(rsd > 0 && rsd < 1)) throw new RangeError(`approxCountDistinct rsd must be in (0, 1), got ${rsd}`);
  return Math.max(4, Math.ceil(2 * Math.log2(1.106 / rsd)));
}

export function hllNew(precision: number): Uint8Array {
  // The last byte stores the precision so a sketch is self-describing.
  const sketch = new Uint8Array((1 << precision) + 1);
  sketch[1 << precision] = precision;
  return sketch;
}

/** 32-bit MurmurHash3 of a string's UTF-16 code units: fast, well mixed, deterministic. */
function murmur3(text: string, seed = 0x9747b28c): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hllAdd(sketch: Uint8Array, value: string): void {
  const precision = sketch[sketch.length - 1]!;
  const hash = murmur3(value);
  const index = hash >>> (32 - precision);
  const rest = (hash << precision) >>> 0;
  // Rank = position of the first 1 bit in the remaining bits (1-based), capped when all zero.
  const rank = rest === 0 ? 32 - precision + 1 : Math.clz32(rest) + 1;
  if (rank > sketch[index]!) sketch[index] = rank;
}

export function hllMerge(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError('Cannot merge HyperLogLog sketches of different precision');
  const merged = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) merged[i] = Math.max(a[i]!, b[i]!);
  return merged;
}

export function hllEstimate(sketch: Uint8Array): number {
  const m = sketch.length - 1;
  let harmonic = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    harmonic += 2 ** -sketch[i]!;
    if (sketch[i] === 0) zeros++;
  }
  const alpha = m >= 128 ? 0.7213 / (1 + 1.079 / m) : m === 64 ? 0.709 : m === 32 ? 0.697 : 0.673;
  const raw = (alpha * m * m) / harmonic;
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}
