/**
 * Benchmark (e): a partner's list page costs the same requests and read units whether the
 * partner has 100 claims or 10,000.
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { claimKey, indexKeys } from '../../functions/adapters/dynamodb-claim-store.js';
import type { Claim } from '../../functions/domain/claim.js';
import type { ApiBench } from './api-bench.js';
import { benchLog, pool, printTable, readUnitsOf, round, tokenOf } from './support.js';

const LIST_SIZES = [100, 10_000] as const;

/**
 * Seeds partners with 100 and 10,000 copies of `templateClaimId`, reads their first two pages
 * and compares; prints table (e).
 */
export async function listCost(bench: ApiBench, templateClaimId: string) {
  const { raw, tableName, counter, request, must } = bench;
  const template = unmarshall(
    (await raw.send(new GetItemCommand({ TableName: tableName, Key: marshall(claimKey(templateClaimId)) })))
      .Item ?? {},
  );
  const listRows: Record<string, unknown>[] = [];
  for (const size of LIST_SIZES) {
    const partnerId = `bench-list-${size}`;
    const base = Date.parse('2026-01-01T00:00:00Z');
    const items = Array.from({ length: size }, (_, i) => {
      const id = randomUUID();
      const createdAt = new Date(base + i * 1000).toISOString();
      const data = {
        ...(template.data as Claim),
        id,
        partnerId,
        createdAt,
        updatedAt: createdAt,
        statusSince: createdAt,
      };
      return { ...template, ...claimKey(id), ...indexKeys(data), data };
    });
    const batches: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    await pool(batches, 4, async (batch) => {
      let pending = batch.map((item) => ({
        PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
      }));
      while (pending.length > 0) {
        const out = await raw.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    });
    benchLog(`list cost: ${size} claims seeded`);
    const token = await tokenOf(request, {
      sub: `lister-${size}`,
      partnerId,
      roles: ['Partner.GlobalAdmin'],
    });
    await request('GET', '/v1/claims?limit=25', { token });
    let cursor: string | null | undefined;
    for (const page of [1, 2]) {
      const path = `/v1/claims?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { result, calls } = await counter.measure(() => must(request('GET', path, { token })));
      cursor = result.nextCursor;
      listRows.push({
        claims: size,
        page,
        items: result.items?.length ?? 0,
        requests: calls.length,
        readUnits: round(readUnitsOf(calls)),
      });
    }
  }
  const small = listRows.filter((r) => r.claims === LIST_SIZES[0]);
  const large = listRows.filter((r) => r.claims === LIST_SIZES[1]);
  const listRatio = {
    requests: round(
      large.reduce((s, r) => s + (r.requests as number), 0) /
        small.reduce((s, r) => s + (r.requests as number), 0),
    ),
    readUnits: round(
      large.reduce((s, r) => s + (r.readUnits as number), 0) /
        small.reduce((s, r) => s + (r.readUnits as number), 0),
    ),
  };
  printTable(
    `(e) Partner list page (limit 25): 10,000 vs 100 claims → requests ${listRatio.requests}×, read units ${listRatio.readUnits}×`,
    ['claims', 'page', 'items', 'requests', 'read units'],
    listRows.map((r) => [
      r.claims as number,
      r.page as number,
      r.items as number,
      r.requests as number,
      r.readUnits as number,
    ]),
  );
  return { pages: listRows, ratio10kTo100: listRatio };
}
