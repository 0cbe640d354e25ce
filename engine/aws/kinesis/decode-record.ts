import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { QueryDefinition } from '../../api/writer.js';
import { type PlanNode, type SourceNode, walkPlan } from '../../plan/nodes.js';
import type { DeadLetter } from '../../runtime/dead-letter.js';
import type { Row } from '../../types.js';
import {
  DEFAULT_MAX_NESTING_DEPTH,
  type EdgeLimits,
  eventTimeProblem,
  nestingProblem,
} from './edge-limits.js';
import { KinesisSourceConfigError } from './errors.js';
import { MAX_EVENT_TIME_MS, parseEventTime } from './event-time-value.js';
import { isHeartbeat } from './heartbeat.js';
import {
  isPlainObject,
  MAX_RECORD_BYTES,
  messageOf,
  type PayloadDecoder,
  payloadBytes,
  payloadJson,
  payloadObject,
} from './payload.js';
import type { SequenceNumber } from './sequence-numbers.js';
import { type AnyKinesisRecord, type ShardRecord, toShardRecord } from './shard-record.js';

/** How producers set the partition key: a column of the row, or a function of the row. */
export type PartitionKeySpec = string | ((row: Row) => string);

/** What the edge needs to know about one source of the query (a `readStream`). */
export type EdgeSource = Pick<SourceNode, 'name' | 'eventTime' | 'schema' | 'partitionKey'>;

/** What a record decodes to: a row of a source, a dead letter, or a heartbeat (never input). */
export type DecodedRecord =
  | { readonly kind: 'row'; readonly source: string; readonly row: Row; readonly seq: SequenceNumber }
  | { readonly kind: 'dead'; readonly deadLetter: DeadLetter; readonly seq: SequenceNumber }
  | { readonly kind: 'heartbeat'; readonly seq: SequenceNumber };

/**
 * Decodes one record; never throws for bad input (bad input is a dead letter). Answers
 * synchronously unless a source's schema validates asynchronously, so a batch of plain JSON
 * records costs no Promise per record; `await` works on either.
 */
export type RecordDecoder = (record: AnyKinesisRecord) => DecodedRecord | Promise<DecodedRecord>;

export interface RecordDecoderOptions extends EdgeLimits {
  /** The query's sources (see {@link sourcesOf}); their schema, event-time column and partition key apply. */
  readonly sources: readonly EdgeSource[];
  /**
   * Picks the source of a decoded row when the stream carries several (e.g. on a `type` field).
   * A name that is not a source makes the record a dead letter.
   * @default the query's only source
   */
  readonly route?: (row: Row, record: ShardRecord) => string;
  /**
   * Turns payload bytes into an object instead of UTF-8 + `JSON.parse` (e.g. Avro); must be
   * deterministic. A throw makes the record a dead letter (`decode failed: …`).
   * @default UTF-8 (fatal on invalid sequences) then `JSON.parse`
   */
  readonly decode?: PayloadDecoder;
  /** Larger payloads are dead letters (`oversized`). @default {@link MAX_RECORD_BYTES} (1 MiB, Kinesis's limit) */
  readonly maxRecordBytes?: number;
  /** The partition key rule for sources that declare none in `readStream`. @default no check */
  readonly partitionKey?: PartitionKeySpec;
}

/**
 * The query's sources, each once, in plan order: what {@link createRecordDecoder} needs.
 * A source read twice (e.g. a self-join) appears once, with its first definition.
 */
export function sourcesOf(query: QueryDefinition | PlanNode): SourceNode[] {
  const root = 'plan' in query ? query.plan : query;
  const found = new Map<string, SourceNode>();
  walkPlan(root, (node) => {
    if (node.kind === 'source' && !found.has(node.name)) found.set(node.name, node);
  });
  return [...found.values()];
}

/**
 * Builds the edge decoder. Per record (DESIGN.md "Decoding at the edge"):
 * ```
 * heartbeat key and heartbeat payload          → heartbeat (never input)
 * base64 → bytes                               → 'empty record' | 'invalid base64' | 'oversized: …'
 * bytes → UTF-8 → JSON.parse  (or decode)      → 'invalid UTF-8' | 'malformed JSON: …' | 'decode failed: …'
 * must be a plain object                       → 'not a JSON object: got …'
 * nesting ≤ maxNestingDepth (32)               → 'edge limit maxNestingDepth: …'
 * route(row, record) → source                  → 'route failed: …' | 'unknown source …'
 * event-time column → epoch ms                 → "invalid event time in 'col': …"
 * source schema (Standard Schema, maybe async) → 'schema: path: message; …'
 * event time ≤ arrival + maxEventTimeAheadMs    → 'edge limit maxEventTimeAheadMs: …' (and the optional lower bound)
 * partition key = the source's rule            → 'partition key mismatch: record has X, query expects Y' | 'partition key check failed: …'
 * ```
 * The event time is converted *before* the schema runs, so the schema describes the row the query
 * sees (`ts: z.number()` accepts `"2024-05-01T00:00:00Z"` from the producer); a schema that turns
 * the column into a `Date` is converted back to milliseconds. Dead letters carry the reason, the
 * source (when known), the sequence number, the partition key and the payload as base64.
 *
 * Throws {@link KinesisSourceConfigError} (at build time only) for no sources, or several and no `route`.
 *
 * @example
 * const decode = createRecordDecoder({ sources: sourcesOf(pageViewsQuery) });
 * const decoded = await decode(event.Records[0]); // { kind: 'row', source: 'page-views', row, seq }
 */
export function createRecordDecoder(options: RecordDecoderOptions): RecordDecoder {
  const sources = new Map(options.sources.map((source) => [source.name, source]));
  const only = sources.size === 1 ? [...sources.values()][0]! : undefined;
  if (sources.size === 0) {
    throw new KinesisSourceConfigError(
      'The Kinesis decoder needs at least one source; pass sourcesOf(query).',
    );
  }
  if (only === undefined && options.route === undefined) {
    throw new KinesisSourceConfigError(
      `The query reads ${sources.size} sources (${[...sources.keys()].join(', ')}) from one Kinesis stream; pass a \`route(row, record)\` option that returns the source name of each record.`,
      { sources: [...sources.keys()] },
    );
  }
  const maxBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  const maxDepth = options.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH;
  const userDecode = options.decode;
  // JSON payloads skip the intermediate Buffer; a user decoder needs the bytes.
  const parsePayload =
    userDecode === undefined
      ? (base64: string) => payloadJson(base64, maxBytes)
      : (base64: string) => {
          const bytes = payloadBytes(base64, maxBytes);
          return bytes.ok ? payloadObject(bytes.value, userDecode) : bytes;
        };

  return (input) => {
    // The batch source passes ShardRecords already: one property load tells them apart.
    const record =
      typeof (input as ShardRecord).sequenceNumber === 'string'
        ? (input as ShardRecord)
        : toShardRecord(input);
    const seq = record.sequenceNumber;
    if (isHeartbeat(record)) return { kind: 'heartbeat', seq };

    const parsed = parsePayload(record.data);
    if (!parsed.ok) return deadRecord(record, parsed.reason, only?.name);
    const tooDeep = nestingProblem(parsed.value, maxDepth);
    if (tooDeep !== undefined) return deadRecord(record, tooDeep, only?.name);

    let source = only;
    if (options.route !== undefined) {
      let name: string;
      try {
        name = options.route(parsed.value, record);
      } catch (error) {
        return deadRecord(record, `route failed: ${messageOf(error)}`, undefined);
      }
      source = sources.get(name);
      if (source === undefined) {
        return deadRecord(
          record,
          `unknown source ${JSON.stringify(name)} from route; sources: ${[...sources.keys()].join(', ')}`,
          undefined,
        );
      }
    }
    const checked = checkRow(parsed.value, source!, record, options.partitionKey, options);
    return checked instanceof Promise
      ? checked.then((result) => decodedRow(result, source!.name, record))
      : decodedRow(checked, source!.name, record);
  };
}

function decodedRow(checked: Row | string, source: string, record: ShardRecord): DecodedRecord {
  return typeof checked === 'string'
    ? deadRecord(record, checked, source)
    : { kind: 'row', source, row: checked, seq: record.sequenceNumber };
}

function deadRecord(record: ShardRecord, reason: string, source: string | undefined): DecodedRecord {
  return {
    kind: 'dead',
    seq: record.sequenceNumber,
    deadLetter: {
      reason,
      ...(source === undefined ? {} : { source }),
      position: record.sequenceNumber,
      partitionKey: record.partitionKey,
      data: record.data,
    },
  };
}

/**
 * Event time, schema and partition key of one routed object: the row, or the dead-letter reason.
 * Epoch-millisecond event times pass through without copying the row; other forms (ISO-8601
 * strings) are converted in a copy. Asynchronous only when the schema is.
 */
function checkRow(
  object: Record<string, unknown>,
  source: EdgeSource,
  record: ShardRecord,
  fallbackKey: PartitionKeySpec | undefined,
  limits: EdgeLimits,
): Row | string | Promise<Row | string> {
  const column = source.eventTime;
  let row: Row = object;
  if (column !== undefined) {
    const value = object[column];
    // Epoch milliseconds, the common case, need no conversion and no result object.
    if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > MAX_EVENT_TIME_MS) {
      const time = parseEventTime(value);
      if (!time.ok) return `invalid event time in '${column}': ${time.problem}`;
      row = { ...object, [column]: time.ms };
    }
  }
  if (source.schema === undefined) return checkTimeAndKey(row, source, record, fallbackKey, limits);
  const validated = validate(source.schema, row);
  const afterSchema = (result: Row | string): Row | string => {
    if (typeof result === 'string') return result;
    let row = result;
    if (column !== undefined) {
      const time = parseEventTime(row[column]);
      if (!time.ok) return `invalid event time in '${column}': after the schema, ${time.problem}`;
      if (time.ms !== row[column]) row = { ...row, [column]: time.ms };
    }
    return checkTimeAndKey(row, source, record, fallbackKey, limits);
  };
  return validated instanceof Promise ? validated.then(afterSchema) : afterSchema(validated);
}

/** Event-time sanity against the record's arrival time, then the partition key. */
function checkTimeAndKey(
  row: Row,
  source: EdgeSource,
  record: ShardRecord,
  fallbackKey: PartitionKeySpec | undefined,
  limits: EdgeLimits,
): Row | string {
  const column = source.eventTime;
  if (column !== undefined) {
    const problem = eventTimeProblem(
      column,
      row[column] as number,
      record.approximateArrivalTimestampMs,
      limits,
    );
    if (problem !== undefined) return problem;
  }
  return checkPartitionKey(row, source, record, fallbackKey);
}

function checkPartitionKey(
  row: Row,
  source: EdgeSource,
  record: ShardRecord,
  fallbackKey: PartitionKeySpec | undefined,
): Row | string {
  const rule = source.partitionKey ?? fallbackKey;
  if (rule !== undefined) {
    const expected = expectedPartitionKey(rule, row);
    if (!expected.ok) return `partition key check failed: ${expected.problem}`;
    if (expected.key !== record.partitionKey) {
      return `partition key mismatch: record has ${JSON.stringify(record.partitionKey)}, query expects ${JSON.stringify(expected.key)}`;
    }
  }
  return row;
}

/** Runs a Standard Schema validator; synchronous validators (zod's usual case) stay synchronous. */
function validate(schema: StandardSchemaV1<unknown, Row>, value: Row): Row | string | Promise<Row | string> {
  let result: StandardSchemaV1.Result<Row> | Promise<StandardSchemaV1.Result<Row>>;
  try {
    result = schema['~standard'].validate(value);
  } catch (error) {
    return `schema: the validator threw: ${messageOf(error)}`;
  }
  if (result instanceof Promise) {
    return result.then(schemaOutcome, (error: unknown) => `schema: the validator threw: ${messageOf(error)}`);
  }
  return schemaOutcome(result);
}

function schemaOutcome(result: StandardSchemaV1.Result<Row>): Row | string {
  if (result.issues !== undefined) return `schema: ${formatIssues(result.issues)}`;
  if (!isPlainObject(result.value)) return 'schema: the schema did not produce an object';
  return result.value;
}

/** `amount: Invalid input: expected number, received string; tags[0]: …`, at most 5 issues. */
export function formatIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const path = formatPath(issue.path ?? []);
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  if (issues.length > 5) shown.push(`and ${issues.length - 5} more`);
  return shown.join('; ');
}

function formatPath(path: ReadonlyArray<PropertyKey | StandardSchemaV1.PathSegment>): string {
  let text = '';
  for (const segment of path) {
    const key = typeof segment === 'object' ? segment.key : segment;
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

/** The partition key the row should have been put with, by the source's rule. */
function expectedPartitionKey(
  rule: PartitionKeySpec,
  row: Row,
): { ok: true; key: string } | { ok: false; problem: string } {
  if (typeof rule === 'function') {
    try {
      return { ok: true, key: String(rule(row)) };
    } catch (error) {
      return { ok: false, problem: `the partitionKey function threw: ${messageOf(error)}` };
    }
  }
  const value = row[rule];
  if (typeof value === 'string') return { ok: true, key: value };
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return { ok: true, key: String(value) };
  }
  return {
    ok: false,
    problem: `the partition-key column '${rule}' is ${value === undefined ? 'missing' : 'not a string or number'}`,
  };
}
