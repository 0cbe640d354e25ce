import { describe, expect, it } from 'vitest';
import {
  HeartbeatConfigurationError,
  parseHeartbeatConfig,
  quietShards,
} from '../../../../engine/aws/heartbeat/index.js';

describe('quietShards', () => {
  const shards = [
    { shardId: 'shardId-0', startingHashKey: '0' },
    { shardId: 'shardId-1', startingHashKey: '100' },
    { shardId: 'shardId-2', startingHashKey: '200' },
  ];

  it('picks shards that never committed or whose last commit is at least one tick old', () => {
    const lastCommits = new Map([
      ['shardId-0', 1_000 - 60_000], // exactly one tick ago: quiet
      ['shardId-1', 1_000 - 59_999], // just inside the tick: busy
    ]);
    expect(quietShards(shards, lastCommits, 1_000, 60_000).map((s) => s.shardId)).toEqual([
      'shardId-0',
      'shardId-2',
    ]);
  });
});

describe('parseHeartbeatConfig', () => {
  const env = {
    SLUICE_STREAM: 'page-views',
    SLUICE_TABLE: 'state',
    SLUICE_QUERY: 'page-views',
    SLUICE_QUIET_MS: '60000',
  };

  it('reads the stream, table, query and quiet threshold', () => {
    expect(parseHeartbeatConfig({ ...env, AWS_REGION: 'eu-west-1' })).toEqual({
      streamName: 'page-views',
      tableName: 'state',
      query: 'page-views',
      quietMs: 60_000,
      region: 'eu-west-1',
    });
  });

  it('names every missing or invalid variable with the fix', () => {
    let error: unknown;
    try {
      parseHeartbeatConfig({ SLUICE_QUERY: 'a#b', SLUICE_QUIET_MS: '10' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HeartbeatConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(/SLUICE_STREAM is not set: set it to the query's Kinesis stream name/);
    expect(message).toMatch(/SLUICE_TABLE is not set/);
    expect(message).toMatch(/SLUICE_QUERY="a#b" is invalid/);
    expect(message).toMatch(/SLUICE_QUIET_MS="10" is invalid: use at least 1000 ms/);
  });
});
