import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';

/** Longest query name accepted; it appears in S3 prefixes, DynamoDB keys and resource names. */
export const MAX_QUERY_NAME_LENGTH = 128;

/** Letters, digits, `.`, `_`, `-`, starting with a letter or digit: safe in S3 keys and DynamoDB keys. */
const SAFE_QUERY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The query name keys everything the query stores: the S3 prefix (`PREFIX/QUERY/data/...`), the
 * DynamoDB partition keys (`QUERY#operator#shard`) and the checkpoint. A `/` would nest S3
 * prefixes, a `#` would shift the key's fields, whitespace and other symbols need escaping in
 * keys and URLs, and an empty name would collide with every other empty name.
 */
export function queryNameIsSafe(query: QueryDefinition): void {
  const name = query.name;
  if (name.length <= MAX_QUERY_NAME_LENGTH && SAFE_QUERY_NAME.test(name)) return;
  throw new InvalidQueryError(
    'INVALID_QUERY_NAME',
    `Query ${JSON.stringify(name)} has a name that ${problemOf(name)}: the name keys the query's S3 prefix, its DynamoDB keys ('QUERY#operator#shard') and its checkpoint. Use letters, digits, '.', '_' and '-' (starting with a letter or digit, at most ${MAX_QUERY_NAME_LENGTH} characters), e.g. queryName('page-views').`,
    { query: name },
  );
}

function problemOf(name: string): string {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_QUERY_NAME_LENGTH) return `is ${name.length} characters long`;
  const unsafe = [...new Set(name.replace(/[A-Za-z0-9._-]/g, ''))];
  if (unsafe.length > 0) {
    return `contains ${unsafe.map((char) => (/\s/.test(char) ? 'whitespace' : `'${char}'`)).join(', ')}`;
  }
  return `starts with '${name[0]}'`;
}
