import { describe, expect, it } from 'vitest';
import { ConfigurationError, readConfig } from '../../functions/config.js';

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
});
