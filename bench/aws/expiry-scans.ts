/**
 * Read units of the DynamoDB state store's expiry scan per invocation as uptime grows, with the
 * expiry-index upkeep (engine/aws/dynamodb/expiry-index-upkeep.ts) and without it (the store as
 * it was: tombstones stayed in the `byExpiry` index until their 7-day TTL), side by side on
 * dynalite, metered from the wire with the bench's capacity-unit rules (bench/aws/capacity-units.ts).
 *
 * Workload: a 1-minute tumbling window per key, one batch per simulated minute: each batch opens
 * `--keys` groups of the new minute and evicts the `--keys` groups of the minute that closed
 * (tombstones, as the engine writes them). A simulated day is 1,440 batches. The old store's scan
 * is a pure read, so it is metered at sample points over the same table (the writes are the same);
 * the new store scans every batch, as the engine does, since its scans do the upkeep.
 *
 * Run: `npx tsx bench/aws/expiry-scans.ts [--keys 100] [--minutes 360]` (a full day, 1440, takes over 30 minutes on a shared 2-vCPU machine: the old store's scan reads every tombstone)
 */
import { parseArgs } from 'node:util';
import { createStateTable, DynamoDbStateStore, TABLE_LAYOUT } from '../../engine/aws/dynamodb/index.js';
import type { StateWrite } from '../../engine/state/state-store.js';
import { startEmulators } from '../../local/emulators/index.js';
import { PRICES } from './prices.js';
import { TrafficMeter } from './traffic-meter.js';

const { values } = parseArgs({
  options: { keys: { type: 'string', default: '100' }, minutes: { type: 'string', default: '360' } },
});
const KEYS = Number(values.keys);
const MINUTES = Number(values.minutes);
const MINUTE = 60_000;
const SAMPLES = [1, 10, 60, 360, 1440].filter((minute) => minute <= MINUTES);

/** The store as it was before the upkeep: scans leave the index as they found it. */
class StoreWithoutUpkeep extends DynamoDbStateStore {
  protected override async clearSpent(): Promise<void> {}
}

async function main(): Promise<void> {
  const emulators = await startEmulators();
  try {
    const table = 'expiry-scans';
    await createStateTable(emulators.clients.dynamodb, table);
    const meter = new TrafficMeter({ units: true, indexed: { [table]: TABLE_LAYOUT.expiryAttribute } });
    const client = emulators.clients.documents;
    meter.attach(client, 'DynamoDB');
    const withUpkeep = new DynamoDbStateStore({ client, tableName: table });
    const without = new StoreWithoutUpkeep({ client, tableName: table });
    const nsNew = 'q#aggregate-0#new';
    const nsOld = 'q#aggregate-0#old';
    const key = (minute: number, k: number) => `["${minute}","page-${k}"]`;
    const open = (minute: number): StateWrite[] =>
      Array.from({ length: KEYS }, (_, k) => ({
        key: key(minute, k),
        entry: { value: { views: 1 }, expiresAt: (minute + 1) * MINUTE },
        base: undefined,
      }));
    const close = (minute: number): StateWrite[] =>
      Array.from({ length: KEYS }, (_, k) => ({
        key: key(minute, k),
        entry: undefined,
        base: { value: { views: 1 }, expiresAt: (minute + 1) * MINUTE },
      }));

    const rows: string[] = [];
    let upkeepDeletes = 0;
    for (let minute = 1; minute <= MINUTES; minute++) {
      const bound = minute * MINUTE; // the watermark: the window of minute − 1 has closed
      meter.take();
      const evictedNew = await withUpkeep.expiring(nsNew, bound, minute);
      const scanNew = meter.take();
      // The scan itself writes nothing but the upkeep's deletes (1 unit each as counted here).
      upkeepDeletes += scanNew.units.wru;
      if (evictedNew.length !== (minute === 1 ? 0 : KEYS))
        throw new Error(`minute ${minute}: the new store evicted ${evictedNew.length} groups`);
      let scanOld: typeof scanNew | undefined;
      if (SAMPLES.includes(minute)) {
        const evictedOld = await without.expiring(nsOld, bound, minute);
        scanOld = meter.take();
        if (evictedOld.length !== evictedNew.length)
          throw new Error(
            `minute ${minute}: the stores disagree (${evictedOld.length} vs ${evictedNew.length})`,
          );
      }
      const writes = [...(minute === 1 ? [] : close(minute - 1)), ...open(minute)];
      await withUpkeep.write(nsNew, minute, writes);
      await without.write(nsOld, minute, writes);
      if (scanOld !== undefined) {
        const hours = ((minute - 1) / 60).toFixed(minute < 60 ? 2 : 0);
        rows.push(
          `| ${minute} (${hours} h) | ${scanOld.units.rru} | ${scanNew.units.rru} | ${(scanOld.units.rru / scanNew.units.rru).toFixed(1)}× |`,
        );
        console.error(
          `minute ${minute}: without upkeep ${scanOld.units.rru} RRU, with ${scanNew.units.rru} RRU`,
        );
      }
    }
    const perDayOld = Number(rows.at(-1)?.split('|')[2]);
    console.log(
      `Expiry scan read units per invocation, ${KEYS} groups closing per minute, one batch per minute:\n`,
    );
    console.log('| batch (uptime) | without upkeep (RRU) | with upkeep (RRU) | ratio |');
    console.log('| ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(row);
    console.log(
      `\nUpkeep over ${MINUTES} batches: ${upkeepDeletes} tombstone deletes (${(upkeepDeletes / MINUTES).toFixed(1)} per batch), 2 WRU each with the index entry: $${((2 * upkeepDeletes * PRICES.dynamodb.perMillionWru) / 1e6 / MINUTES).toFixed(7)} per batch.`,
    );
    console.log(
      `At the last sample, the old scan costs $${((perDayOld * PRICES.dynamodb.perMillionRru) / 1e6).toFixed(6)} per invocation in read units alone.`,
    );
  } finally {
    await emulators.stop();
  }
}

await main();
