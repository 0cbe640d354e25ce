import {
  type _Record,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { StartingPosition } from '../provision/index.js';
import { ShardReadError } from './errors.js';

/** Where a shard reader starts when it has read nothing yet. */
export type ReadStart =
  | { readonly after: string }
  | { readonly position: StartingPosition; readonly timestampMs?: number };

/** One `GetRecords` page, interpreted. */
export interface ReadPage {
  readonly records: readonly _Record[];
  /** Nothing more is there right now: an empty page at the tip, or the shard's end. */
  readonly atTip: boolean;
  /** The shard is closed and read to its end: no record will ever follow. */
  readonly ended: boolean;
}

/**
 * Reads one shard forward with `GetRecords`, from a checkpoint or a starting position, renewing
 * an expired iterator after the last record read.
 *
 * The end of a closed shard is detected without trusting the value of its EndingSequenceNumber
 * (kinesis-local reports Long.MaxValue there): the shard has ended when `GetRecords` returns no
 * `NextShardIterator` (AWS, kinesis-local and kinesalite do so once past the last record), or,
 * for emulators that keep handing out iterators on a closed shard, when the shard was already
 * known to be closed (EndingSequenceNumber *present* in a listing taken before the call) and the
 * page is empty with MillisBehindLatest 0.
 */
export class ShardReader {
  private iterator: string | undefined;
  private lastRead: string | undefined;

  constructor(
    private readonly client: KinesisClient,
    private readonly stream: string,
    readonly shardId: string,
    private readonly start: ReadStart,
  ) {}

  /**
   * Reads the next page of at most `limit` records.
   *
   * @param closedBeforeCall whether a shard listing taken before this call showed the shard closed
   */
  async read(limit: number, closedBeforeCall: boolean): Promise<ReadPage> {
    for (let renewals = 0; ; renewals++) {
      this.iterator ??= await this.newIterator();
      try {
        const page = await this.client.send(
          new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }),
        );
        const records = page.Records ?? [];
        if (records.length > 0) this.lastRead = records.at(-1)!.SequenceNumber;
        this.iterator = page.NextShardIterator ?? undefined;
        const empty = records.length === 0;
        const ended =
          this.iterator === undefined || (closedBeforeCall && empty && page.MillisBehindLatest === 0);
        return { records, ended, atTip: ended || (empty && (page.MillisBehindLatest ?? 0) === 0) };
      } catch (error) {
        this.iterator = undefined;
        if (error instanceof ExpiredIteratorException && renewals < 1) continue;
        throw new ShardReadError(this.stream, this.shardId, 'GetRecords', error);
      }
    }
  }

  private async newIterator(): Promise<string> {
    const base = { StreamName: this.stream, ShardId: this.shardId };
    const after = this.lastRead ?? ('after' in this.start ? this.start.after : undefined);
    const input: GetShardIteratorCommandInput =
      after !== undefined
        ? { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
        : 'position' in this.start && this.start.position === 'AT_TIMESTAMP'
          ? { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(this.start.timestampMs ?? 0) }
          : { ...base, ShardIteratorType: 'position' in this.start ? this.start.position : 'TRIM_HORIZON' };
    try {
      const { ShardIterator } = await this.client.send(new GetShardIteratorCommand(input));
      if (ShardIterator === undefined) throw new Error('GetShardIterator returned no iterator');
      return ShardIterator;
    } catch (error) {
      throw new ShardReadError(this.stream, this.shardId, 'GetShardIterator', error);
    }
  }
}
