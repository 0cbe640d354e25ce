import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../engine/aws/clients.js';

const endpointOf = async (client: {
  config: { endpoint?: () => Promise<{ hostname: string; port?: number }> };
}) => {
  const endpoint = await client.config.endpoint?.();
  return endpoint === undefined ? undefined : `${endpoint.hostname}:${endpoint.port}`;
};

describe('createAwsClients', () => {
  it('points each client at its own endpoint, with the emulator settings for each', async () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9999',
      endpoints: { dynamodb: 'http://127.0.0.1:4001', kinesis: 'http://127.0.0.1:4003' },
    });
    expect(await endpointOf(clients.dynamodb as never)).toBe('127.0.0.1:4001');
    expect(await endpointOf(clients.kinesis as never)).toBe('127.0.0.1:4003');
    expect(await endpointOf(clients.s3 as never)).toBe('127.0.0.1:9999'); // the shared endpoint for the rest
    expect(clients.s3.config.forcePathStyle).toBe(true);
    expect(clients.kinesis.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
  });

  it('keeps the defaults for a service without an endpoint', () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      endpoints: { kinesis: 'http://127.0.0.1:4003' },
    });
    expect(clients.s3.config.forcePathStyle).toBe(false);
    expect(clients.kinesis.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
  });
});
