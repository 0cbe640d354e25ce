import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { LocalEventSourceMapping } from '../provision/index.js';
import { newShardCounters, type PollerContext, type ShardCounters, ShardPoller } from './shard-poller.js';
import type { ReadStart } from './shard-reader.js';
import { Sleeper } from './sleeper.js';

/** What a mapping needs besides its template properties. */
export interface MappingContext extends Omit<PollerContext, 'mapping' | 'closed' | 'client'> {
  readonly client: KinesisClient;
  /** Pause between shard listings (new shards after a split or merge, closed parents). */
  readonly discoveryIntervalMs: number;
}

interface ShardEntry {
  readonly shard: Shard;
  closed: boolean;
  poller: ShardPoller | undefined;
}

/** One shard's state and counters, for stats. */
export interface ShardStatus extends Readonly<ShardCounters> {
  readonly mapping: string;
  readonly shardId: string;
  readonly parents: readonly string[];
  readonly state: 'waiting-for-parents' | 'reading' | 'done' | 'stopped';
  readonly checkpoint: string | undefined;
  readonly buffered: number;
  readonly inFlight: boolean;
}

/**
 * One Kinesis event source mapping: lists the stream's shards, runs a {@link ShardPoller} per
 * shard, and starts a shard only when its parents (after a split or merge) are done — closed, read
 * to their end and every record checkpointed — so a key's records reach the function in order.
 *
 * The starting position applies to the shards of the first listing; shards that appear later
 * (children) are read from TRIM_HORIZON, as Lambda does. Checkpoints survive `stop()`/`start()`
 * (like disabling and enabling the mapping).
 */
export class MappingRunner {
  private readonly shards = new Map<string, ShardEntry>();
  private readonly checkpoints = new Map<string, string>();
  private readonly finished = new Set<string>();
  private readonly counters = new Map<string, ShardCounters>();
  private initial: ReadonlySet<string> | undefined;
  private listedAt = Number.NEGATIVE_INFINITY;
  private readonly sleeper = new Sleeper();
  private loop: Promise<void> | undefined;
  private stopped = true;

  constructor(
    readonly mapping: LocalEventSourceMapping,
    private readonly context: MappingContext,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.sleeper.wake();
    await this.loop;
    await Promise.all(
      [...this.shards.values()].map(async (entry) => {
        const poller = entry.poller;
        if (poller === undefined) return;
        await poller.stop();
        if (poller.checkpoint !== undefined) this.checkpoints.set(poller.shardId, poller.checkpoint);
        entry.poller = undefined;
      }),
    );
    this.listedAt = Number.NEGATIVE_INFINITY;
  }

  /** List shards and read every shard now instead of at the next interval. */
  wake(): void {
    this.sleeper.wake();
    for (const entry of this.shards.values()) entry.poller?.wake();
  }

  /** Every shard listed since `since` is done or was read to its tip since, with nothing pending. */
  caughtUpSince(since: number): boolean {
    if (this.listedAt < since) return false;
    for (const [id, entry] of this.shards) {
      if (this.finished.has(id)) continue;
      if (!(entry.poller?.caughtUpSince(since) ?? false)) return false;
    }
    return true;
  }

  /** Lines naming each shard that is not caught up since `since`, and why. */
  behind(since: number): string[] {
    const prefix = `${this.mapping.logicalId} ${this.mapping.streamName}`;
    if (this.listedAt < since) return [`${prefix}: shards not listed yet`];
    return [...this.shards]
      .filter(([id, entry]) => !this.finished.has(id) && !(entry.poller?.caughtUpSince(since) ?? false))
      .map(([id, entry]) =>
        entry.poller === undefined
          ? `${prefix}/${id}: waiting for parent shards ${parentsOf(entry.shard).join(', ')}`
          : `${prefix}/${id}: ${entry.poller.describe()}`,
      );
  }

  shardStatus(): ShardStatus[] {
    return [...this.shards].map(([id, entry]) => ({
      mapping: this.mapping.logicalId,
      shardId: id,
      parents: parentsOf(entry.shard),
      ...(this.counters.get(id) ?? newShardCounters()),
      buffered: entry.poller?.pending.buffered ?? 0,
      inFlight: entry.poller?.pending.inFlight ?? false,
      state: this.finished.has(id)
        ? 'done'
        : entry.poller !== undefined
          ? 'reading'
          : this.stopped
            ? 'stopped'
            : 'waiting-for-parents',
      checkpoint: entry.poller?.checkpoint ?? this.checkpoints.get(id),
    }));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const startedAt = performance.now();
      try {
        const listed = await this.listShards();
        this.initial ??= new Set(listed.map((shard) => shard.ShardId!));
        for (const shard of listed) {
          const id = shard.ShardId!;
          const entry = this.shards.get(id) ?? { shard, closed: false, poller: undefined };
          // Presence, never the value: kinesis-local reports Long.MaxValue for closed shards.
          entry.closed ||= shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
          this.shards.set(id, entry);
        }
        this.listedAt = startedAt;
        this.startReadyShards(new Set(listed.map((shard) => shard.ShardId!)));
      } catch (error) {
        this.context.onError(error);
      }
      await this.sleeper.sleep(this.context.discoveryIntervalMs);
    }
  }

  /** Starts each shard whose listed parents are all done. */
  private startReadyShards(listed: ReadonlySet<string>): void {
    for (const [id, entry] of this.shards) {
      if (entry.poller !== undefined || this.finished.has(id) || this.stopped) continue;
      const parents = parentsOf(entry.shard).filter((parent) => listed.has(parent));
      if (!parents.every((parent) => this.finished.has(parent))) continue;
      const counters = this.counters.get(id) ?? newShardCounters();
      this.counters.set(id, counters);
      const poller = new ShardPoller(
        id,
        this.startOf(id),
        { ...this.context, mapping: this.mapping, closed: () => entry.closed },
        counters,
      );
      entry.poller = poller;
      poller.start(() => {
        this.finished.add(id);
        if (poller.checkpoint !== undefined) this.checkpoints.set(id, poller.checkpoint);
        this.sleeper.wake(); // children may start now
      });
    }
  }

  private startOf(shardId: string): ReadStart {
    const checkpoint = this.checkpoints.get(shardId);
    if (checkpoint !== undefined) return { after: checkpoint };
    if (!this.initial?.has(shardId)) return { position: 'TRIM_HORIZON' };
    const timestamp = this.mapping.startingPositionTimestampMs;
    return {
      position: this.mapping.startingPosition,
      ...(timestamp === undefined ? {} : { timestampMs: timestamp }),
    };
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.context.client.send(
        new ListShardsCommand(
          token === undefined ? { StreamName: this.mapping.streamName } : { NextToken: token },
        ),
      );
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return shards;
  }
}

function parentsOf(shard: Shard): string[] {
  return [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined);
}
