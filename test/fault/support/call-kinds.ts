/**
 * The external calls of the Lambda runtime, named by what they do in the micro-batch protocol
 * (docs/architecture.md, "On Lambda"), so faults can target "the WAL write" rather than "an
 * UpdateItem".
 */
export const CALL_KINDS = [
  'checkpoint.read', // GetItem of the checkpoint: the load at start, and the state-write fence
  'checkpoint.init', // PutItem of a new checkpoint (first invocation of a shard)
  'batchId.allocate', // UpdateItem ADD on the query's batch-id counter
  'wal.plan', // UpdateItem SET pending: the WAL entry
  'checkpoint.commit', // UpdateItem SET committed REMOVE pending
  'state.read', // BatchGetItem of state keys, or GetObject of a changelog object (S3 state)
  'state.query', // Query of the expiry index or a whole namespace
  'state.write', // BatchWriteItem of state items, or PutObject of a delta/snapshot (S3 state)
  'state.cleanup', // ListObjectsV2/DeleteObjects of changelog objects at a snapshot (S3 state)
  's3.data', // PutObject of a data object
  's3.deadLetters', // PutObject of a dead-letter object
  's3.manifest', // PutObject of a manifest
  's3.progress', // PutObject of a progress object
  'kinesis.iterator', // GetShardIterator of a re-fetch
  'kinesis.getRecords', // GetRecords of a re-fetch (or of stage 2's exchange reader)
  'exchange.rows', // PutRecords of exchange rows records (stage 1 of a two-stage query)
  'exchange.marker', // PutRecords of end-of-batch markers (stage 1, after every rows record is acknowledged)
  'exchange.list', // ListShards of the internal stream (once per container)
  'other',
] as const;
export type CallKind = (typeof CALL_KINDS)[number];

/** The AWS service a client talks to. */
export type Service = 'DynamoDB' | 'S3' | 'Kinesis';

/** Names the protocol step of an SDK command from its name and (unmarshalled) input. */
export function classifyCall(
  service: Service,
  commandName: string,
  input: Record<string, unknown>,
): CallKind {
  const command = commandName.replace(/Command$/, '');
  if (service === 'DynamoDB') {
    switch (command) {
      case 'GetItem':
        return 'checkpoint.read';
      case 'PutItem':
        return 'checkpoint.init';
      case 'BatchGetItem':
        return 'state.read';
      case 'Query':
        return 'state.query';
      case 'BatchWriteItem':
        return 'state.write';
      case 'UpdateItem': {
        const expression = String(input.UpdateExpression ?? '');
        if (expression.startsWith('ADD')) return 'batchId.allocate';
        if (expression.includes('#committed')) return 'checkpoint.commit';
        if (expression.includes('#pending')) return 'wal.plan';
        return 'other';
      }
      default:
        return 'other';
    }
  }
  if (service === 'S3') {
    const key = String(input.Key ?? '');
    if (
      command === 'DeleteObjects' ||
      (command === 'ListObjectsV2' && String(input.Prefix).includes('/_state/'))
    )
      return 'state.cleanup';
    if (key.includes('/_state/'))
      return command === 'PutObject' ? 'state.write' : command === 'GetObject' ? 'state.read' : 'other';
    if (command !== 'PutObject') return 'other';
    if (key.includes('/_manifest/')) return 's3.manifest';
    if (key.includes('/_dead/')) return 's3.deadLetters';
    if (key.includes('/_progress/')) return 's3.progress';
    if (key.includes('/data/')) return 's3.data';
    return 'other';
  }
  if (command === 'PutRecords') {
    // Exchange records are JSON with their kind; a put holds one kind (markers go out on their own).
    const first = (input.Records as { Data?: Uint8Array }[] | undefined)?.[0]?.Data;
    const text = first === undefined ? '' : new TextDecoder().decode(first);
    return text.includes('"kind":"marker"') ? 'exchange.marker' : 'exchange.rows';
  }
  if (command === 'ListShards') return 'exchange.list';
  if (command === 'GetShardIterator') return 'kinesis.iterator';
  if (command === 'GetRecords') return 'kinesis.getRecords';
  return 'other';
}
