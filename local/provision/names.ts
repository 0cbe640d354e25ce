/** Which naming rules a local physical name must follow. */
export type NameKind = 'stream' | 'table' | 'bucket' | 'function' | 'other';

const MAX_LENGTH: Readonly<Record<NameKind, number>> = {
  stream: 128,
  table: 255,
  bucket: 63,
  function: 64,
  other: 128,
};

/**
 * The local physical name of a resource the template leaves unnamed, like CloudFormation's
 * `STACK-LOGICALID` but without its random suffix (fresh emulators need none; pass `suffix` to
 * share an endpoint between runs): letters, digits, `-`, `_`, `.` (buckets: lowercase, no `_`),
 * within each service's length limit.
 */
export function localName(kind: NameKind, stackName: string, logicalId: string, suffix?: string): string {
  const base = [stackName, logicalId, suffix].filter((part) => part !== undefined && part !== '').join('-');
  const max = MAX_LENGTH[kind];
  if (kind === 'bucket') {
    return base
      .toLowerCase()
      .replace(/[^a-z0-9.-]/g, '-')
      .slice(0, max)
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  }
  const allowed = kind === 'function' ? /[^A-Za-z0-9_-]/g : /[^A-Za-z0-9_.-]/g;
  return base.replace(allowed, '-').slice(0, max);
}
