/**
 * The test API (test/support/test-api.ts) whose service reaches DynamoDB Local through a gate:
 * while armed, each `TransactWriteItems` waits until `parties` of them have arrived, then all
 * go on together. Racing requests thereby all read the claim before any of them writes, so the
 * race is decided by DynamoDB's conditions on every run instead of by timing (fault injection
 * at the port, never a sleep: style.md "Tests"). The gate is a pass-through HTTP proxy on the
 * DynamoDB wire protocol, so it needs nothing from the service's wiring.
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dynamoDbEndpoint } from './dynamodb.js';
import { startTestApi, type TestApi } from './test-api.js';

export interface GatedApi extends TestApi {
  /**
   * Holds the service's next `parties` transactions until all have arrived, then releases them
   * at once. Resolves with how many were held, once they are released.
   */
  arm(parties: number): Promise<number>;
}

export async function startGatedApi(): Promise<GatedApi> {
  const target = new URL(dynamoDbEndpoint());
  let gate: { parties: number; waiting: (() => void)[]; opened: (n: number) => void } | undefined;

  const pass = (parties: NonNullable<typeof gate>) =>
    new Promise<void>((resolve) => {
      parties.waiting.push(resolve);
      if (parties.waiting.length === parties.parties) {
        gate = undefined;
        for (const release of parties.waiting) release();
        parties.opened(parties.waiting.length);
      }
    });

  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1];
    if (gate && operation === 'TransactWriteItems') await pass(gate);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => res.destroy(error));
    upstream.end(body);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const { port } = proxy.address() as AddressInfo;

  let api: TestApi;
  try {
    api = await startTestApi({ serviceDynamoDbEndpoint: `http://127.0.0.1:${port}` });
  } catch (error) {
    proxy.close();
    throw error;
  }
  return {
    ...api,
    arm(parties) {
      return new Promise((opened) => {
        gate = { parties, waiting: [], opened };
      });
    },
    async stop() {
      try {
        await api.stop();
      } finally {
        proxy.closeAllConnections();
        proxy.close();
      }
    },
  };
}
