/**
 * Benchmark (a): the DynamoDB requests each API operation sends, against the floor its design
 * allows (one read, one transaction…), with the read and write units DynamoDB Local reports.
 */
import type { ApiBench } from './api-bench.js';
import { type CountedCall, printTable, readUnitsOf, round, writeUnitsOf } from './support.js';

export interface RequestsPerOperation {
  /** The `requestsPerOperation` figures of bench-results.json. */
  rows: {
    operation: string;
    floor: string;
    requests: number;
    commands: string;
    ratio: number;
    readUnits: number;
    writeUnits: number;
  }[];
  /** The claim the run took from create to approved (the latency benchmark reads it). */
  claimId: string;
  /** The claim created to warm the handler (the list benchmark copies it). */
  warmClaimId: string;
}

/** Drives one claim create → approve and counts each operation's requests; prints table (a). */
export async function requestsPerOperation(bench: ApiBench): Promise<RequestsPerOperation> {
  const { counter, request, partner, reviewer, must, newClaim } = bench;
  const perOp: { operation: string; floor: string; floorRequests: number; calls: CountedCall[] }[] = [];
  const op = async (
    operation: string,
    floor: string,
    floorRequests: number,
    work: () => Promise<unknown>,
  ) => {
    const { calls } = await counter.measure(work);
    perOp.push({ operation, floor, floorRequests, calls });
  };
  // Warm the handler first: the first request of a process builds its clients.
  const warm = await newClaim();
  await must(request('GET', `/v1/claims/${warm.id}`, { token: partner }));
  let claimId = '';
  await op('POST /v1/claims (create)', '1 transaction', 1, async () => {
    claimId = (await newClaim()).id;
  });
  await op('GET /v1/claims/{id}', '1 read', 1, () =>
    must(request('GET', `/v1/claims/${claimId}`, { token: partner })),
  );
  await op('PATCH /v1/claims/{id} (edit)', '1 transaction + ≤1 read', 2, () =>
    must(request('PATCH', `/v1/claims/${claimId}`, { token: partner, body: { name: 'Edited name' } })),
  );
  await bench.seedDocument(claimId);
  await op('POST …/submit', '1 transaction + ≤1 read', 2, () =>
    must(request('POST', `/v1/claims/${claimId}/submit`, { token: partner, body: {} })),
  );
  await op('POST …/start-review', '1 transaction + ≤1 read', 2, () =>
    must(request('POST', `/v1/claims/${claimId}/start-review`, { token: reviewer, body: {} })),
  );
  await op('POST …/approve', '1 transaction + ≤1 read', 2, () =>
    must(
      request('POST', `/v1/claims/${claimId}/approve`, {
        token: reviewer,
        body: { comment: 'Convincing PoE.' },
      }),
    ),
  );
  await op('GET …/history', '1 query (+1 read for access)', 2, () =>
    must(request('GET', `/v1/claims/${claimId}/history`, { token: partner })),
  );
  await op('GET /v1/claims (partner list page)', '1 query', 1, () =>
    must(request('GET', '/v1/claims?limit=25', { token: partner })),
  );
  const rows = perOp.map((o) => ({
    operation: o.operation,
    floor: o.floor,
    requests: o.calls.length,
    commands: o.calls.map((c) => c.command.replace(/Command$/, '')).join(' + '),
    ratio: round(o.calls.length / o.floorRequests),
    readUnits: round(readUnitsOf(o.calls)),
    writeUnits: round(writeUnitsOf(o.calls)),
  }));
  printTable(
    '(a) DynamoDB requests per API operation vs the floor',
    ['operation', 'floor', 'requests', 'ratio', 'RRU', 'WRU', 'commands'],
    rows.map((r) => [r.operation, r.floor, r.requests, `${r.ratio}×`, r.readUnits, r.writeUnits, r.commands]),
  );
  return { rows, claimId, warmClaimId: warm.id };
}
