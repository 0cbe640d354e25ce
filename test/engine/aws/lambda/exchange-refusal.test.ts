import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../../engine/aws/clients.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { count, readStream } from '../../../../engine/index.js';

interface Click {
  user: string;
  campaign: string;
}

// No request is made: the handler refuses the query when it is built (no emulator needed).
const clients = createAwsClients({
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const options = { clients, tableName: 't', bucket: 'b', prefix: 'p' };

describe('kinesisHandler and two-stage queries', () => {
  it('refuses a query that needs an exchange, naming the fix and showing the plan', () => {
    const query = readStream<Click>('clicks', { partitionKey: 'user' })
      .groupBy('campaign')
      .agg({ n: count() })
      .writeStream.queryName('per-campaign')
      .outputMode('update')
      .build();
    expect(() => kinesisHandler(query, options)).toThrow(
      expect.objectContaining({ code: 'SLUICE_EXCHANGE_NOT_DEPLOYABLE' }),
    );
    expect(() => kinesisHandler(query, options)).toThrow(/== Stage 2: per-campaign/);
  });

  it('builds a handler for a query that follows the partition key, as before', () => {
    const query = readStream<Click>('clicks', { partitionKey: 'campaign' })
      .groupBy('campaign')
      .agg({ n: count() })
      .writeStream.outputMode('update')
      .build();
    expect(typeof kinesisHandler(query, options)).toBe('function');
  });
});
