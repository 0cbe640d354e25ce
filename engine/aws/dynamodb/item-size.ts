/**
 * Estimates the DynamoDB size of a value, following AWS's published rules (UTF-8 string bytes,
 * about 1 byte per 2 significant digits + 1 for numbers, raw bytes for binary, 3 bytes plus 1
 * per element for maps and lists, attribute names counted as strings). It errs on the high side.
 */
export function dynamoSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number')
    return Math.ceil(String(Math.abs(value)).replace(/[.e+-]/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    let size = 3;
    for (const element of value) size += 1 + dynamoSize(element);
    return size;
  }
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, element] of Object.entries(value)) {
      if (element === undefined) continue;
      size += 1 + Buffer.byteLength(name, 'utf8') + dynamoSize(element);
    }
    return size;
  }
  return Buffer.byteLength(String(value), 'utf8');
}

/** DynamoDB's item limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
