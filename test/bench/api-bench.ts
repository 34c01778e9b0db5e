/**
 * The local stack that the API benchmarks (requests per operation, warm latency, list cost)
 * share: one local cloud without the lifecycle runtime, whose API sends its DynamoDB requests
 * through a counting client, the usual partner and reviewer, and helpers to make claims.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ManualClock } from '../../functions/domain/clock.js';
import type { LocalCloud, LocalCloudOptions } from '../../infra/local/local-cloud.js';
import { seedAvailableDocument } from '../support/documents.js';
import {
  type CountingClient,
  countingDynamoDbClient,
  draft,
  type HttpRequest,
  type HttpResponse,
  httpClient,
  tokenOf,
} from './support.js';

/** What a benchmark needs from the runner: DynamoDB Local, and local clouds it stops at the end. */
export interface BenchEnvironment {
  dynamoDbEndpoint: string;
  /** A client of DynamoDB Local that counts nothing: for seeding and bare baselines. */
  raw: DynamoDBClient;
  /** Starts a local cloud that the runner stops when every benchmark is done. */
  startCloud(options: LocalCloudOptions): Promise<LocalCloud>;
}

/** A created claim as the API answers it (the fields the benchmarks read). */
export interface ClaimAnswer {
  id: string;
  version: number;
  items?: unknown[];
  nextCursor?: string | null;
}

export interface ApiBench {
  raw: DynamoDBClient;
  tableName: string;
  counter: CountingClient;
  request: HttpRequest;
  partner: string;
  reviewer: string;
  /** Seeds a verified PoE document on the claim, straight in the table. */
  seedDocument(claimId: string): Promise<string>;
  /** The answer's JSON, or an error naming the status and body when it is not `status`. */
  must(response: Promise<HttpResponse>, status?: number): Promise<ClaimAnswer>;
  /** A new claim of `token`'s partner, with a unique name and tenant. */
  newClaim(token?: string): Promise<ClaimAnswer>;
  /** A new claim, submitted with a seeded document. */
  submitted(): Promise<string>;
}

/** A local cloud of the bench, its API's DynamoDB requests counted, and the usual two callers. */
export interface BenchCloud {
  cloud: LocalCloud;
  clock: ManualClock;
  counter: CountingClient;
  request: HttpRequest;
  /** Token of `<name>-partner`, a global admin of `partnerId`. */
  partner: string;
  /** Token of `<name>-reviewer`. */
  reviewer: string;
}

/** Starts a local cloud on `tableName` (with or without the lifecycle runtime) and signs in its callers. */
export async function startBenchCloud(
  env: BenchEnvironment,
  options: { tableName: string; lifecycle: boolean; name: string; partnerId: string },
): Promise<BenchCloud> {
  const counter = countingDynamoDbClient(env.dynamoDbEndpoint);
  const clock = new ManualClock(new Date());
  const cloud = await env.startCloud({
    dynamoDbEndpoint: env.dynamoDbEndpoint,
    tableName: options.tableName,
    clock,
    lifecycle: options.lifecycle,
    apiDynamoDbClient: counter.client,
  });
  const request = httpClient(cloud.url);
  const partner = await tokenOf(request, {
    sub: `${options.name}-partner`,
    partnerId: options.partnerId,
    roles: ['Partner.GlobalAdmin'],
  });
  const reviewer = await tokenOf(request, { sub: `${options.name}-reviewer`, roles: ['Reviewer'] });
  return { cloud, clock, counter, request, partner, reviewer };
}

/** Starts the API benchmarks' cloud on table `bench-claims`. */
export async function startApiBench(env: BenchEnvironment): Promise<ApiBench> {
  const tableName = 'bench-claims';
  const { clock, counter, request, partner, reviewer } = await startBenchCloud(env, {
    tableName,
    lifecycle: false,
    name: 'bench',
    partnerId: 'bench-a',
  });
  const seeder = { table: { client: env.raw, tableName }, clock };

  const must: ApiBench['must'] = async (response, status = 200) => {
    const r = await response;
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
    return r.json as ClaimAnswer;
  };
  const newClaim: ApiBench['newClaim'] = async (token = partner) =>
    must(
      request('POST', '/v1/claims', { token, body: draft(`b${randomUUID().slice(0, 8)}`, randomUUID()) }),
      201,
    );
  const seedDocument = (claimId: string) => seedAvailableDocument(seeder, claimId);
  return {
    raw: env.raw,
    tableName,
    counter,
    request,
    partner,
    reviewer,
    seedDocument,
    must,
    newClaim,
    async submitted() {
      const claim = await newClaim();
      await seedDocument(claim.id);
      await must(request('POST', `/v1/claims/${claim.id}/submit`, { token: partner, body: {} }));
      return claim.id;
    },
  };
}
