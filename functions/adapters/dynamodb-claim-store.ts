/**
 * The claim store on one DynamoDB table (layout in `table-schema.ts`). Every write is one
 * `TransactWriteItems`: the claim conditioned on its version and history head, the next
 * history event, and (when the transition has side effects) an outbox event.
 */
import { createHash, randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Claim } from '../domain/claim.js';
import { VersionConflictError } from '../domain/errors.js';
import { chainEvent, type HistoryEntry, type HistoryEvent } from '../domain/history.js';
import type {
  ClaimListQuery,
  ClaimPage,
  ClaimRecord,
  ClaimStore,
  ClaimWrite,
  HistoryPage,
  HistoryPageQuery,
  KeyedRequest,
  ListPosition,
} from '../domain/ports/claim-store.js';
import {
  INDEXES,
  type IndexName,
  KEY,
  REVIEWER_INDEX_SHARDS,
  TTL_ATTRIBUTE,
} from '../storage-layout/table-schema.js';

/** How long a relayed outbox item stays in the table (the stream has already carried it). */
const OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600;

export const claimKey = (id: string) => ({ [KEY.partition]: `CLAIM#${id}`, [KEY.sort]: 'CLAIM' });
/** The marker of a keyed request that appended to the claim's history (`REQ#<id>`). */
const requestKey = (claimId: string, requestId: string) => ({
  [KEY.partition]: `CLAIM#${claimId}`,
  [KEY.sort]: `REQ#${requestId}`,
});
export const seqKey = (n: number) => String(n).padStart(10, '0');

/** The write shard of a claim on the reviewer indexes: stable, evenly spread. */
export function shardOf(claimId: string): number {
  return createHash('sha256').update(claimId).digest().readUInt32BE(0) % REVIEWER_INDEX_SHARDS;
}

/** The index keys of a claim item: every list of api.md is a Query on one of these. */
export function indexKeys(claim: Claim): Record<string, string> {
  const byCreated = `${claim.createdAt}#${claim.id}`;
  const shard = shardOf(claim.id);
  return {
    [INDEXES.byPartner.partition]: `P#${claim.partnerId}`,
    [INDEXES.byPartner.sort]: byCreated,
    [INDEXES.byPartnerStatus.partition]: `P#${claim.partnerId}#S#${claim.status}`,
    [INDEXES.byPartnerStatus.sort]: byCreated,
    [INDEXES.byStatus.partition]: `S#${claim.status}#${shard}`,
    [INDEXES.byStatus.sort]: `${claim.statusSince}#${claim.id}`,
    [INDEXES.byShard.partition]: `ALL#${shard}`,
    [INDEXES.byShard.sort]: byCreated,
    [INDEXES.byTenant.partition]: `T#${claim.customer.tenantId.toLowerCase()}`,
    [INDEXES.byTenant.sort]: byCreated,
  };
}

interface ClaimItem {
  version: number;
  historySeq: number;
  historyHash: string;
  documentsTotal?: number;
  documentsAvailable?: number;
  requestHash?: string;
  data: Claim;
}

function recordOf(item: ClaimItem): ClaimRecord {
  return {
    claim: item.data,
    head: { seq: item.historySeq, hash: item.historyHash },
    documents: { total: item.documentsTotal ?? 0, available: item.documentsAvailable ?? 0 },
    ...(item.requestHash !== undefined && { requestHash: item.requestHash }),
  };
}

/** The highest history sort key: every `HIST#<seq:10>` sorts below it. */
const LAST_HISTORY_KEY = `HIST#${'9'.repeat(10)}`;
/** Events read per Query when only one type is wanted (others are filtered out after reading). */
const FILTERED_READ_SIZE = 200;

export class DynamoDbClaimStore implements ClaimStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(write: ClaimWrite): Promise<ClaimRecord> {
    return this.writeTransition(undefined, write);
  }

  async update(before: ClaimRecord, write: ClaimWrite): Promise<ClaimRecord> {
    return this.writeTransition(before, write);
  }

  async append(
    before: ClaimRecord,
    entry: Omit<HistoryEntry, 'version'>,
    actor: ClaimWrite['actor'],
    at: string,
    request?: KeyedRequest,
  ): Promise<HistoryEvent> {
    const { claim } = before;
    const event = chainEvent(
      { ...entry, version: claim.version },
      { id: request?.id ?? randomUUID(), claimId: claim.id, at, actor },
      before.head,
    );
    await this.transact(claim.id, before.claim.version, [
      {
        Update: {
          TableName: this.tableName,
          Key: claimKey(claim.id),
          UpdateExpression: 'SET historySeq = :seq, historyHash = :hash',
          // Only the chain head matters: a comment doesn't depend on the claim's version.
          ConditionExpression: 'historySeq = :prevSeq',
          ExpressionAttributeValues: { ':seq': event.seq, ':hash': event.hash, ':prevSeq': before.head.seq },
        },
      },
      historyPut(this.tableName, event),
      // The request's marker, taken once: a retry of a request that committed conflicts here.
      ...(request
        ? [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...requestKey(claim.id, request.id),
                  type: 'request',
                  seq: event.seq,
                  requestHash: request.hash,
                },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': KEY.partition },
              },
            },
          ]
        : []),
    ]);
    return event;
  }

  async eventOfRequest(claimId: string, requestId: string) {
    const marker = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: requestKey(claimId, requestId),
        ConsistentRead: true,
      }),
    );
    if (!marker.Item) return undefined;
    const recorded = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [KEY.partition]: `CLAIM#${claimId}`, [KEY.sort]: `HIST#${seqKey(marker.Item.seq as number)}` },
        ConsistentRead: true,
      }),
    );
    const event = recorded.Item?.event as HistoryEvent | undefined;
    return event && { event, hash: marker.Item.requestHash as string };
  }

  async get(id: string): Promise<ClaimRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: claimKey(id), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return recordOf(Item as ClaimItem);
  }

  async historyPage(
    claimId: string,
    query: HistoryPageQuery,
  ): Promise<{ record: ClaimRecord | undefined; page: HistoryPage }> {
    // The claim and the page are read at once (one round trip); the caller shows the page only
    // if the claim is visible to it.
    const [record, page] = await Promise.all([this.get(claimId), this.readHistoryPage(claimId, query)]);
    return { record, page };
  }

  /**
   * Up to `limit` events after `after`, reading one more to learn whether the page is the last.
   * A Query's `Limit` counts items before the filter, so a filtered read continues until it has
   * enough or the history ends; the next page starts after the last event returned, not where
   * DynamoDB stopped.
   */
  private async readHistoryPage(claimId: string, query: HistoryPageQuery): Promise<HistoryPage> {
    const wanted = query.limit + 1;
    const events: HistoryEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: {
            '#pk': KEY.partition,
            '#sk': KEY.sort,
            ...(query.type && { '#event': 'event', '#type': 'type' }),
          },
          ExpressionAttributeValues: {
            ':pk': `CLAIM#${claimId}`,
            ':from': `HIST#${seqKey((query.after?.seq ?? 0) + 1)}`,
            ':to': LAST_HISTORY_KEY,
            ...(query.type && { ':type': query.type }),
          },
          ...(query.type && { FilterExpression: '#event.#type = :type' }),
          Limit: query.type ? Math.max(FILTERED_READ_SIZE, wanted - events.length) : wanted - events.length,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) events.push(item.event as HistoryEvent);
      start = page.LastEvaluatedKey;
    } while (start && events.length < wanted);
    return { events: events.slice(0, query.limit), more: events.length > query.limit };
  }

  async history(claimId: string): Promise<HistoryEvent[]> {
    const items = await queryClaimItems(this.client, this.tableName, claimId, 'HIST#');
    return items.map((item) => item.event as HistoryEvent);
  }

  async list(query: ClaimListQuery): Promise<ClaimPage> {
    const plan = planListQuery(query);
    const partitions = plan.partitions.filter((p) => query.after?.[p] !== null);
    const pages = await Promise.all(
      partitions.map(async (partition) => {
        const input: QueryCommandInput = {
          TableName: this.tableName,
          IndexName: plan.index,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': INDEXES[plan.index].partition, ...plan.filterNames },
          ExpressionAttributeValues: { ':pk': partition, ...plan.filterValues },
          FilterExpression: plan.filter,
          ScanIndexForward: query.order === 'oldest',
          Limit: query.limit,
          ExclusiveStartKey: query.after?.[partition] ?? undefined,
        };
        const page = await this.client.send(new QueryCommand(input));
        const items = (page.Items ?? []) as (ClaimItem & Record<string, string>)[];
        return {
          partition,
          items,
          lastEvaluated: page.LastEvaluatedKey as Record<string, string> | undefined,
        };
      }),
    );
    // Merge the partitions' pages in index order and keep the first `limit`.
    const sortAttr = INDEXES[plan.index].sort;
    const direction = query.order === 'oldest' ? 1 : -1;
    const merged = pages
      .flatMap((page) => page.items.map((item) => ({ partition: page.partition, item })))
      .sort((a, b) => direction * compare(a.item[sortAttr] as string, b.item[sortAttr] as string))
      .slice(0, query.limit);

    const next: ListPosition = { ...query.after };
    for (const page of pages) {
      const taken = merged.filter((m) => m.partition === page.partition);
      const last = taken.at(-1)?.item;
      if (taken.length === page.items.length) {
        // Everything read was used: continue where DynamoDB stopped (past filtered-out items too).
        next[page.partition] = page.lastEvaluated ?? null;
      } else {
        next[page.partition] = last ? lastKey(last, plan.index) : (query.after?.[page.partition] ?? {});
      }
    }
    const open = plan.partitions.some((p) => next[p] !== null);
    return { items: merged.map((m) => m.item.data), ...(open && { next: normalisePosition(next) }) };
  }

  private async writeTransition(before: ClaimRecord | undefined, write: ClaimWrite): Promise<ClaimRecord> {
    const { claim } = write;
    // The item is replaced whole: what only the create knew is carried over.
    const requestHash = before ? before.requestHash : write.requestHash;
    const event = chainEvent(
      { ...write.entry, version: claim.version },
      { id: randomUUID(), claimId: claim.id, at: write.at, actor: write.actor },
      before?.head,
    );
    const item = {
      ...claimKey(claim.id),
      ...indexKeys(claim),
      type: 'claim',
      version: claim.version,
      historySeq: event.seq,
      historyHash: event.hash,
      documentsTotal: before?.documents.total ?? 0,
      documentsAvailable: before?.documents.available ?? 0,
      ...(requestHash !== undefined && { requestHash }),
      data: claim,
    };
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: this.tableName,
          Item: item,
          ...(before
            ? {
                ConditionExpression: 'version = :version AND historySeq = :seq',
                ExpressionAttributeValues: { ':version': before.claim.version, ':seq': before.head.seq },
              }
            : {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': KEY.partition },
              }),
        },
      },
      historyPut(this.tableName, event),
    ];
    if (write.effects.length > 0) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            [KEY.partition]: `CLAIM#${claim.id}`,
            [KEY.sort]: `OUTBOX#${seqKey(event.seq)}`,
            type: 'outbox',
            eventId: event.id,
            claimId: claim.id,
            version: claim.version,
            effects: write.effects,
            claim,
            at: write.at,
            // Kept for its retention from when it was written (a late timeout is dated earlier).
            [TTL_ATTRIBUTE]:
              Math.floor(Date.parse(write.entry.appliedAt ?? write.at) / 1000) + OUTBOX_RETENTION_SECONDS,
          },
        },
      });
    }
    await this.transact(claim.id, before?.claim.version ?? 0, items);
    return {
      claim,
      head: { seq: event.seq, hash: event.hash },
      documents: before?.documents ?? { total: 0, available: 0 },
      ...(requestHash !== undefined && { requestHash }),
    };
  }

  private async transact(
    claimId: string,
    expectedVersion: number,
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  ): Promise<void> {
    await transactOrConflict(this.client, items, claimId, expectedVersion);
  }
}

/**
 * Every item of one claim's partition whose sort key starts with `prefix` (history events,
 * documents), in sort-key order, read consistently and page by page.
 */
export async function queryClaimItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  claimId: string,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': KEY.partition, '#sk': KEY.sort },
        ExpressionAttributeValues: { ':pk': `CLAIM#${claimId}`, ':prefix': prefix },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The Put of a history event: never overwrites, so a chain position is taken once. */
export function historyPut(tableName: string, event: HistoryEvent) {
  return {
    Put: {
      TableName: tableName,
      Item: {
        [KEY.partition]: `CLAIM#${event.claimId}`,
        [KEY.sort]: `HIST#${seqKey(event.seq)}`,
        type: 'history',
        event,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': KEY.partition },
    },
  };
}

/**
 * Runs a transaction; a failed condition on any item, or a conflict with another transaction
 * in flight on one of them (`TransactionConflict`), becomes `VersionConflictError` (nothing written).
 */
export async function transactOrConflict(
  client: DynamoDBDocumentClient,
  items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
  claimId: string,
  expectedVersion: number,
): Promise<void> {
  try {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (
      error instanceof TransactionCanceledException &&
      error.CancellationReasons?.some(
        (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
      )
    ) {
      throw new VersionConflictError(claimId, expectedVersion, true, undefined, { cause: error });
    }
    throw error;
  }
}

interface ListPlan {
  index: IndexName;
  partitions: string[];
  filter?: string;
  filterNames?: Record<string, string>;
  filterValues?: Record<string, unknown>;
}

/** Picks the index that serves a list query with a `Query` (never a `Scan`). */
export function planListQuery(query: ClaimListQuery): ListPlan {
  const shards = Array.from({ length: REVIEWER_INDEX_SHARDS }, (_, n) => n);
  if (query.customerTenantId) {
    // A tenant has few claims; the partner and status are filtered within its partition.
    const conditions: string[] = [];
    const filterNames: Record<string, string> = {};
    const filterValues: Record<string, unknown> = {};
    if (query.partnerId) {
      conditions.push('#data.#partnerId = :partnerId');
      Object.assign(filterNames, { '#data': 'data', '#partnerId': 'partnerId' });
      filterValues[':partnerId'] = query.partnerId;
    }
    if (query.status) {
      conditions.push('#data.#status = :status');
      Object.assign(filterNames, { '#data': 'data', '#status': 'status' });
      filterValues[':status'] = query.status;
    }
    return {
      index: 'byTenant',
      partitions: [`T#${query.customerTenantId.toLowerCase()}`],
      ...(conditions.length > 0 && { filter: conditions.join(' AND '), filterNames, filterValues }),
    };
  }
  if (query.partnerId) {
    return query.status
      ? { index: 'byPartnerStatus', partitions: [`P#${query.partnerId}#S#${query.status}`] }
      : { index: 'byPartner', partitions: [`P#${query.partnerId}`] };
  }
  return query.status
    ? { index: 'byStatus', partitions: shards.map((n) => `S#${query.status}#${n}`) }
    : { index: 'byShard', partitions: shards.map((n) => `ALL#${n}`) };
}

function lastKey(item: Record<string, unknown>, index: IndexName): Record<string, string> {
  const names = [KEY.partition, KEY.sort, INDEXES[index].partition, INDEXES[index].sort];
  return Object.fromEntries(names.map((name) => [name, String(item[name])]));
}

/** Drops empty positions (a partition not yet read) so cursors stay small. */
function normalisePosition(position: ListPosition): ListPosition {
  return Object.fromEntries(
    Object.entries(position).filter(([, key]) => key === null || Object.keys(key).length > 0),
  ) as ListPosition;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
