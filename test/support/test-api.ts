/**
 * The real API over HTTP for tests: the local adapter and the real handler on a free port,
 * against the run's DynamoDB Local with a table of its own, and a clock that only the test moves.
 * The local cloud also starts an s3rver of its own (objects in a temporary folder) whose upload
 * events reach the real upload verifier: `cloud.s3` has its endpoint and `settled()`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ManualClock } from '../../functions/domain/clock.js';
import type { TokenRequest } from '../../infra/local/local-auth.js';
import { type LocalCloud, startLocalCloud } from '../../infra/local/local-cloud.js';
import { createTestTable, type TestTable } from './dynamodb.js';

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON (`application/json`, `…+json`), else `undefined`. */
  json: unknown;
}

export interface TestRequestOptions {
  token?: string;
  /** Sent as JSON with `content-type: application/json`. */
  body?: unknown;
  /** Sent as is (content type `application/json` unless `headers` say otherwise). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  /** aws-ses-v2-local (`GET /store` lists the emails); empty without `lifecycle`. */
  sesUrl: string;
  table: TestTable;
  /** The service's clock; starts at the real current time and moves only when told. */
  clock: ManualClock;
  cloud: LocalCloud;
  /** A token from `POST /_local/token`. */
  token(request: TokenRequest): Promise<string>;
  request(method: string, path: string, options?: TestRequestOptions): Promise<TestResponse>;
  stop(): Promise<void>;
}

export interface TestApiOptions {
  clockStart?: Date | string;
  /**
   * Where the service reaches DynamoDB, e.g. a gate in front of the run's DynamoDB Local
   * (test/support/gated-api.ts). The test's own `table.client` always goes direct.
   */
  serviceDynamoDbEndpoint?: string;
  /** The API's own DynamoDB client, e.g. with fault-injecting middleware (on the run's DynamoDB Local). */
  apiDynamoDbClient?: DynamoDBClient;
  /**
   * Run the lifecycle by itself (outbox relay, timers, emails, `POST /_local/clock`). Off by
   * default: most tests drive the API only, and the stream poller is load they don't need.
   */
  lifecycle?: boolean;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const table = await createTestTable('api');
  const clock = new ManualClock(options.clockStart ?? new Date());
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      dynamoDbEndpoint: options.serviceDynamoDbEndpoint ?? table.endpoint,
      tableName: table.tableName,
      clock,
      lifecycle: options.lifecycle ?? false,
      ...(options.apiDynamoDbClient && { apiDynamoDbClient: options.apiDynamoDbClient }),
    });
  } catch (error) {
    await table.destroy();
    throw error;
  }

  const { request, token } = testClient(cloud.url);

  return {
    url: cloud.url,
    sesUrl: cloud.lifecycle?.ses.url ?? '',
    table,
    clock,
    cloud,
    request,
    token,
    async stop() {
      try {
        await cloud.stop();
      } finally {
        await table.destroy();
      }
    },
  };
}

/** A client of the API at `baseUrl`: JSON bodies, bearer tokens, JSON answers parsed. */
export function testClient(baseUrl: string): Pick<TestApi, 'request' | 'token'> {
  const request = async (
    method: string,
    path: string,
    opts: TestRequestOptions = {},
  ): Promise<TestResponse> => {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (opts.body !== undefined || opts.rawBody !== undefined) {
      headers['content-type'] = 'application/json';
      body = opts.rawBody ?? JSON.stringify(opts.body);
    }
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    Object.assign(headers, opts.headers);
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body }),
    });
    const text = await response.text();
    const isJson = /^application\/([\w.-]+\+)?json\b/i.test(response.headers.get('content-type') ?? '');
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: isJson && text ? JSON.parse(text) : undefined,
    };
  };
  return {
    request,
    async token(tokenRequest) {
      const response = await request('POST', '/_local/token', { body: tokenRequest });
      if (response.status !== 200)
        throw new Error(`POST /_local/token answered ${response.status}: ${response.text}`);
      return (response.json as { token: string }).token;
    },
  };
}
