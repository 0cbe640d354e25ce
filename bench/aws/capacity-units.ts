/**
 * DynamoDB capacity units counted from item sizes, following AWS's published rules, for the
 * requests a benchmark makes (on-demand: a read request unit per 4 KB read strongly
 * consistently, half for eventually consistent; a write request unit per 1 KB written).
 *
 * - Item size: the sum over attributes of the name's UTF-8 bytes plus the value's size: strings
 *   their UTF-8 bytes, numbers 1 byte per 2 significant digits + 1, binary its bytes, booleans
 *   and null 1, lists and maps 3 + 1 per element + the elements.
 * - GetItem / BatchGetItem: each key read is its own read, the item's size rounded up to 4 KB,
 *   at least one unit even when the item does not exist.
 * - Query: the returned items' sizes summed, then rounded up to 4 KB (at least one unit).
 * - PutItem / BatchWriteItem put: the item's size rounded up to 1 KB; a table with a local
 *   secondary index pays one more write, of the index entry (item + 100 bytes with an ALL
 *   projection), when the item carries the index's sort key. A put that *changes* that key pays
 *   a second index write (the old entry's delete); the sluice state store keeps an item's expiry
 *   stable across versions, so that case is rare and not counted.
 * - UpdateItem: the larger of the item before and after, rounded up to 1 KB. The size before is
 *   the last size this meter saw for the key (GetItem answers, puts); the size after is at
 *   least that of the update's values.
 * - DeleteItem / BatchWriteItem delete: one unit (the items deleted here are small).
 *
 * Every input is the wire JSON (DynamoDB's attribute-value form).
 */

/** One attribute value on the wire: `{ S: '...' }`, `{ N: '12' }`, `{ M: {...} }`, ... */
export type AttributeValue = Readonly<Record<string, unknown>>;
export type WireItem = Readonly<Record<string, AttributeValue>>;

export const READ_UNIT_BYTES = 4096;
export const WRITE_UNIT_BYTES = 1024;
/** Per-entry overhead AWS adds to local secondary index entries. */
export const INDEX_ENTRY_OVERHEAD_BYTES = 100;

/** The size of one attribute value. */
export function valueSize(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S as string, 'utf8');
  if ('N' in value) return numberSize(value.N as string);
  if ('B' in value) return Buffer.byteLength(value.B as string, 'base64');
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('L' in value) {
    let size = 3;
    for (const element of value.L as AttributeValue[]) size += 1 + valueSize(element);
    return size;
  }
  if ('M' in value) {
    let size = 3;
    for (const [name, element] of Object.entries(value.M as WireItem))
      size += 1 + Buffer.byteLength(name, 'utf8') + valueSize(element);
    return size;
  }
  if ('SS' in value) return (value.SS as string[]).reduce((s, v) => s + Buffer.byteLength(v, 'utf8'), 0);
  if ('NS' in value) return (value.NS as string[]).reduce((s, v) => s + numberSize(v), 0);
  if ('BS' in value) return (value.BS as string[]).reduce((s, v) => s + Buffer.byteLength(v, 'base64'), 0);
  return 0;
}

function numberSize(text: string): number {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** The size DynamoDB bills an item at. */
export function itemSize(item: WireItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  return size;
}

/** Read and write units of some requests. */
export interface CapacityUnits {
  rru: number;
  wru: number;
  /** Of `wru`, the local secondary index entries. */
  indexWru: number;
  /** Items put (PutItem, BatchWriteItem puts) and their total size in bytes. */
  puts: number;
  putBytes: number;
}

export const noUnits = (): CapacityUnits => ({ rru: 0, wru: 0, indexWru: 0, puts: 0, putBytes: 0 });

/** Which tables have a local secondary index, and on which attribute (its sort key). */
export type IndexedAttributes = Readonly<Record<string, string>>;

/**
 * Counts the units of each DynamoDB request from its wire request and response. Keeps the
 * last known size per item key, so that UpdateItem can be billed at the larger of before/after.
 */
export class CapacityCounter {
  readonly units: CapacityUnits = noUnits();
  private readonly sizes = new Map<string, number>();

  constructor(private readonly indexed: IndexedAttributes = {}) {}

  /** Adds the units of one request; `operation` is the `X-Amz-Target` action, e.g. `BatchWriteItem`. */
  count(operation: string, request: any, response: any): void {
    switch (operation) {
      case 'GetItem': {
        const item = response?.Item as WireItem | undefined;
        if (item !== undefined) this.remember(request.TableName, request.Key, itemSize(item));
        this.units.rru += readUnits(item === undefined ? 0 : itemSize(item), request.ConsistentRead);
        return;
      }
      case 'BatchGetItem': {
        for (const [table, ask] of Object.entries(request.RequestItems ?? {}) as [string, any][]) {
          const found = (response?.Responses?.[table] ?? []) as WireItem[];
          const unprocessed = (response?.UnprocessedKeys?.[table]?.Keys ?? []).length as number;
          const missing = (ask.Keys as unknown[]).length - unprocessed - found.length;
          for (const item of found) this.units.rru += readUnits(itemSize(item), ask.ConsistentRead);
          this.units.rru += Math.max(0, missing) * readUnits(0, ask.ConsistentRead);
        }
        return;
      }
      case 'Query':
      case 'Scan': {
        const items = (response?.Items ?? []) as WireItem[];
        const bytes = items.reduce((total, item) => total + itemSize(item), 0);
        this.units.rru += readUnits(bytes, request.ConsistentRead);
        return;
      }
      case 'PutItem':
        this.units.wru += this.putUnits(request.TableName, request.Item);
        return;
      case 'BatchWriteItem': {
        for (const [table, writes] of Object.entries(request.RequestItems ?? {}) as [string, any[]][]) {
          const left = new Set(
            ((response?.UnprocessedItems?.[table] ?? []) as any[]).map((w) => JSON.stringify(w)),
          );
          for (const write of writes) {
            if (left.has(JSON.stringify(write))) continue;
            if (write.PutRequest !== undefined) this.units.wru += this.putUnits(table, write.PutRequest.Item);
            else this.units.wru += 1;
          }
        }
        return;
      }
      case 'UpdateItem': {
        const before = this.sizes.get(keyOf(request.TableName, request.Key)) ?? 0;
        const values = Object.values((request.ExpressionAttributeValues ?? {}) as WireItem).reduce(
          (total, value) => total + valueSize(value),
          itemSize(request.Key ?? {}),
        );
        const after = Math.max(before, values);
        this.remember(request.TableName, request.Key, after);
        this.units.wru += Math.max(1, Math.ceil(after / WRITE_UNIT_BYTES));
        return;
      }
      case 'DeleteItem':
        this.units.wru += 1;
        return;
      default:
    }
  }

  /** Takes the units counted so far and resets them. */
  take(): CapacityUnits {
    const taken = { ...this.units };
    Object.assign(this.units, noUnits());
    return taken;
  }

  private putUnits(table: string, item: WireItem): number {
    const size = itemSize(item);
    this.remember(table, keyFromItem(item), size);
    this.units.puts += 1;
    this.units.putBytes += size;
    let units = Math.max(1, Math.ceil(size / WRITE_UNIT_BYTES));
    const indexAttribute = this.indexed[table];
    if (indexAttribute !== undefined && item[indexAttribute] !== undefined) {
      const index = Math.ceil((size + INDEX_ENTRY_OVERHEAD_BYTES) / WRITE_UNIT_BYTES);
      this.units.indexWru += index;
      units += index;
    }
    return units;
  }

  private remember(table: string, key: WireItem | undefined, size: number): void {
    if (key === undefined) return;
    // Only the checkpoint and counter items are updated; keep the map small.
    if (this.sizes.size > 10_000) this.sizes.clear();
    this.sizes.set(keyOf(table, key), size);
  }
}

function readUnits(bytes: number, consistent: boolean | undefined): number {
  const units = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES));
  return consistent === true ? units : units / 2;
}

/** Both benchmark tables key items by `pk` (+ `sk`). */
function keyFromItem(item: WireItem): WireItem {
  return item.sk === undefined ? { pk: item.pk! } : { pk: item.pk!, sk: item.sk };
}

function keyOf(table: string, key: WireItem): string {
  return `${table}|${JSON.stringify(key.pk)}|${JSON.stringify(key.sk)}`;
}
