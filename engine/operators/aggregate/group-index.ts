/**
 * Finds a batch's groups by their key values without building a string per row: one nested
 * `Map` level per key value (a trie). Building the state key (`encodeKey`, JSON) costs ~0.2 µs
 * per call, more than the rest of the per-row work, so it is paid once per group instead of once
 * per row.
 *
 * Two value tuples find the same group exactly when their `encodeKey` strings are equal, so
 * grouping is unchanged by the index: each value is reduced to a `Map` key with the same
 * equality as its JSON text —
 * - strings and booleans as they are (`Map` keeps `1`, `"1"` and `true` apart, as JSON does);
 * - finite numbers as they are (`Map` treats `0` and `-0` as one key; JSON writes both as `0`);
 * - `null`, `undefined`, non-finite numbers, functions and symbols as `null` (JSON's `null`);
 * - objects by their JSON text, through a token object per distinct text so that an object can
 *   never meet a string; an object whose JSON is a primitive (a `Date`, anything with `toJSON`)
 *   as that primitive, like its JSON text;
 * - bigints throw the `TypeError` that `JSON.stringify` (and so `encodeKey`) throws.
 *
 * Usage per row: `find(values)`; when it returns `undefined`, `insert(group)` adds the group
 * at the position just looked up. `groups` lists them in insertion order, the order in which
 * the batch first saw them (outputs depend on it).
 */
export class GroupIndex<G> {
  /** The groups in the order they were inserted. */
  readonly groups: G[] = [];
  private readonly root = new Map<unknown, unknown>();
  /** The level-0 key and map of the last lookup: consecutive rows mostly share a window. */
  private lastFirstKey: unknown;
  private lastFirstLevel: Map<unknown, unknown> | undefined;
  /** Where the last `find` ended, for `insert`. */
  private leaf: Map<unknown, unknown> | undefined;
  private leafKey: unknown;
  /** One token per distinct JSON text of object values. */
  private readonly objectTokens = new Map<string, object>();

  /**
   * @param levels indices into the `values` passed to {@link find}, in lookup order; put the
   * key that changes least often (a window start) first.
   */
  constructor(private readonly levels: readonly number[]) {}

  /** The group of `values`, or `undefined`; remembers the position for {@link insert}. */
  find(values: readonly unknown[]): G | undefined {
    const levels = this.levels;
    const last = levels.length - 1;
    let node = this.root;
    if (last > 0) {
      const first = this.indexKey(values[levels[0]!]);
      if (this.lastFirstLevel !== undefined && first === this.lastFirstKey) node = this.lastFirstLevel;
      else {
        node = this.child(node, first);
        this.lastFirstKey = first;
        this.lastFirstLevel = node;
      }
      for (let i = 1; i < last; i++) node = this.child(node, this.indexKey(values[levels[i]!]));
    }
    const key = last < 0 ? null : this.indexKey(values[levels[last]!]);
    this.leaf = node;
    this.leafKey = key;
    return node.get(key) as G | undefined;
  }

  /** Adds `group` where the last {@link find} ended (which must have returned `undefined`). */
  insert(group: G): void {
    this.leaf!.set(this.leafKey, group);
    this.groups.push(group);
  }

  private child(node: Map<unknown, unknown>, key: unknown): Map<unknown, unknown> {
    let next = node.get(key) as Map<unknown, unknown> | undefined;
    if (next === undefined) {
      next = new Map();
      node.set(key, next);
    }
    return next;
  }

  /** A `Map` key with the equality of `value`'s JSON text (see the class comment). */
  private indexKey(value: unknown): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) ? value : null;
      case 'object':
        return value === null ? null : this.objectKey(value);
      case 'bigint':
        return JSON.stringify(value);
      default:
        return null;
    }
  }

  private objectKey(value: object): unknown {
    const json: string | undefined = JSON.stringify(value);
    if (json === undefined) return null;
    const first = json.charCodeAt(0);
    // `{` or `[`: a real object; anything else is the JSON of a primitive (from `toJSON`).
    if (first !== 0x7b && first !== 0x5b) return this.indexKey(JSON.parse(json));
    let token = this.objectTokens.get(json);
    if (token === undefined) {
      token = { json };
      this.objectTokens.set(json, token);
    }
    return token;
  }
}
