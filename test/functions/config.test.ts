import { describe, expect, it } from 'vitest';
import { ConfigurationError, readConfig } from '../../functions/config.js';
import { runtimeFromEnvironment } from '../../functions/runtime.js';

const base = { SLUICE_TABLE: 't', SLUICE_BUCKET: 'b' };

describe('readConfig', () => {
  it('reads one endpoint per service (the SDK variables the local runner sets)', () => {
    const config = readConfig({
      ...base,
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4001',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4002',
      AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4003',
    });
    expect(config).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4001',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4002',
      AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4003',
    });
    expect(readConfig(base).AWS_ENDPOINT_URL_S3).toBeUndefined();
  });

  it('names a per-service endpoint that is not a URL', () => {
    expect(() => readConfig({ ...base, AWS_ENDPOINT_URL_KINESIS: 'localhost' })).toThrow(ConfigurationError);
    expect(() => readConfig({ ...base, AWS_ENDPOINT_URL_KINESIS: 'localhost' })).toThrow(
      /AWS_ENDPOINT_URL_KINESIS="localhost" is invalid/,
    );
  });

  it('reads the per-invocation batch size and hands it to the handler; refuses what is not a whole number ≥ 1', () => {
    expect(readConfig(base).SLUICE_MAX_RECORDS_PER_BATCH).toBeUndefined();
    const config = readConfig({ ...base, SLUICE_MAX_RECORDS_PER_BATCH: '250' });
    expect(config.SLUICE_MAX_RECORDS_PER_BATCH).toBe(250);
    expect(runtimeFromEnvironment('q', config).maxRecordsPerBatch).toBe(250);
    expect(runtimeFromEnvironment('q', readConfig(base))).not.toHaveProperty('maxRecordsPerBatch');
    expect(() => readConfig({ ...base, SLUICE_MAX_RECORDS_PER_BATCH: '0' })).toThrow(
      /SLUICE_MAX_RECORDS_PER_BATCH="0" is invalid: use at least 1, or unset it for one batch per invocation/,
    );
    expect(() => readConfig({ ...base, SLUICE_MAX_RECORDS_PER_BATCH: '2.5' })).toThrow(
      /SLUICE_MAX_RECORDS_PER_BATCH="2.5" is invalid: use a whole number of records/,
    );
  });

  it('keeps late rows unless SLUICE_LATE_ROWS=off; names the setting when it is neither', () => {
    expect(runtimeFromEnvironment('q', readConfig(base)).lateRows).toBe(true);
    expect(runtimeFromEnvironment('q', readConfig({ ...base, SLUICE_LATE_ROWS: 'off' })).lateRows).toBe(
      false,
    );
    expect(() => readConfig({ ...base, SLUICE_LATE_ROWS: 'yes' })).toThrow(
      /SLUICE_LATE_ROWS="yes" is invalid: use 'on' \(the default\) or 'off'/,
    );
  });

  it('hands SLUICE_RUN_ID (the deployment) to the handler as its run; unset, one run forever', () => {
    expect(runtimeFromEnvironment('q', readConfig({ ...base, SLUICE_RUN_ID: 'abc123' })).runId).toBe(
      'abc123',
    );
    expect(runtimeFromEnvironment('q', readConfig(base))).not.toHaveProperty('runId');
    expect(() => readConfig({ ...base, SLUICE_RUN_ID: '' })).toThrow(/SLUICE_RUN_ID/);
  });

  it('reads the source streams of a two-stage query (source=stream pairs); names the setting when malformed', () => {
    const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/payments';
    expect(
      runtimeFromEnvironment(
        'q',
        readConfig({ ...base, SLUICE_SOURCE_STREAMS: `orders=orders-stream, payments=${arn}` }),
      ).sources,
    ).toEqual({ orders: 'orders-stream', payments: arn });
    expect(runtimeFromEnvironment('q', readConfig(base)).sources).toBeUndefined();
    expect(() => readConfig({ ...base, SLUICE_SOURCE_STREAMS: 'orders' })).toThrow(
      /SLUICE_SOURCE_STREAMS="orders" is invalid: use source=stream pairs/,
    );
  });

  it('looks for input gaps unless SLUICE_GAP_CHECK=off', () => {
    expect(runtimeFromEnvironment('q', readConfig(base)).gapCheck).toBe(true);
    expect(runtimeFromEnvironment('q', readConfig({ ...base, SLUICE_GAP_CHECK: 'off' })).gapCheck).toBe(
      false,
    );
    expect(() => readConfig({ ...base, SLUICE_GAP_CHECK: 'no' })).toThrow(/SLUICE_GAP_CHECK="no" is invalid/);
  });

  it('derives the state-memory limit from the function memory Lambda sets and SLUICE_STATE_MEMORY_FRACTION', () => {
    expect(runtimeFromEnvironment('q', readConfig(base))).not.toHaveProperty('stateMemoryLimit');
    const lambda = readConfig({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' });
    expect(runtimeFromEnvironment('q', lambda).stateMemoryLimit?.bytes).toBe(
      Math.floor(1024 * 2 ** 20 * 0.2),
    );
    const half = readConfig({
      ...base,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048',
      SLUICE_STATE_MEMORY_FRACTION: '0.5',
    });
    expect(runtimeFromEnvironment('q', half).stateMemoryLimit?.bytes).toBe(1024 * 2 ** 20);
    expect(() => readConfig({ ...base, SLUICE_STATE_MEMORY_FRACTION: '0.95' })).toThrow(
      /SLUICE_STATE_MEMORY_FRACTION="0.95" is invalid: keep at least 10% of the memory/,
    );
    expect(() => readConfig({ ...base, SLUICE_STATE_MEMORY_FRACTION: '0' })).toThrow(
      /SLUICE_STATE_MEMORY_FRACTION="0" is invalid/,
    );
  });
});
