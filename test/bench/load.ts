/**
 * `npm run bench:load`: many partners create, edit (two racing edits per claim), submit and get
 * reviewed concurrently against the local stack with the lifecycle runtime on, until
 * LOAD_CLAIMS claims (default 2,000) are through or LOAD_SECONDS (default 300) have passed.
 * Then an invariant checker reads everything back:
 *   - no lost update: each claim's version is the highest acknowledged one, every acknowledged
 *     write has its history event, and the name is the one of the last acknowledged edit;
 *   - the status equals the replay of the history (toStatus of the last status-changing event);
 *   - every history chain verifies (`verifyHistoryChain` on the stored events, and the API's
 *     `verification`);
 *   - every expected email exists exactly once (SES `GET /store`) and every live deadline has
 *     exactly one pending timer (`lifecycle.timers.pending()`).
 * Prints throughput and p50/p99 per route; writes the `load` key of `bench-results.json`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDbClaimStore } from '../../functions/adapters/dynamodb-claim-store.js';
import { ManualClock } from '../../functions/domain/clock.js';
import { type HistoryEvent, verifyHistoryChain } from '../../functions/domain/history.js';
import { createDocumentClient } from '../../functions/wiring.js';
import { createLocalDynamoDbClient, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { startLocalCloud } from '../../infra/local/local-cloud.js';
import { seedAvailableDocument } from '../support/documents.js';
import { draft, httpClient, percentile, pool, printTable, round, tokenOf } from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TARGET_CLAIMS = Number(process.env.LOAD_CLAIMS ?? 2000);
const MAX_SECONDS = Number(process.env.LOAD_SECONDS ?? 300);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 16);
const PARTNERS = 25;
const DECISIONS = ['approve', 'reject', 'request-info'] as const;
const EMAIL_OF = {
  approve: 'claimed an association',
  reject: 'rejected',
  'request-info': 'More information',
} as const;

interface Tracked {
  index: number;
  tag: string;
  id: string;
  partner: string;
  decision: (typeof DECISIONS)[number];
  /** Versions of every 2xx write. */
  acked: number[];
  /** Name of each acknowledged edit, by the version it produced. */
  edits: Map<number, string>;
  done: boolean;
}

const started = performance.now();
const log = (message: string) =>
  console.error(`[load ${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`);
const latencies = new Map<string, number[]>();
const statuses = new Map<string, Map<number, number>>();
const dynamoDb = await startDynamoDbLocal();
const raw = createLocalDynamoDbClient(dynamoDb.endpoint);
const clock = new ManualClock(new Date());
const tableName = 'load-claims';
const cloud = await startLocalCloud({
  dynamoDbEndpoint: dynamoDb.endpoint,
  tableName,
  clock,
  lifecycle: true,
});
let exitCode = 0;
try {
  const lifecycle = cloud.lifecycle;
  if (!lifecycle) throw new Error('No lifecycle runtime.');
  const http = httpClient(cloud.url);
  const request = async (route: string, method: string, path: string, token: string, body?: unknown) => {
    const r = await http(method, path, { token, ...(body !== undefined && { body }) });
    const list = latencies.get(route) ?? [];
    list.push(r.ms);
    latencies.set(route, list);
    const byStatus = statuses.get(route) ?? new Map<number, number>();
    byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    statuses.set(route, byStatus);
    return r;
  };
  const partners = await Promise.all(
    Array.from({ length: PARTNERS }, (_, p) =>
      tokenOf(http, { sub: `user-${p}`, partnerId: `load-partner-${p}`, roles: ['Partner.GlobalAdmin'] }),
    ),
  );
  const reviewers = await Promise.all(
    ['rita', 'ray'].map((sub) => tokenOf(http, { sub, roles: ['Reviewer'] })),
  );
  const seeder = { table: { client: raw, tableName }, clock };

  const claims: Tracked[] = [];
  let next = 0;
  const deadline = started + MAX_SECONDS * 1000;
  const runStarted = performance.now();
  const lifecycleOf = async (index: number) => {
    const tag = `lt${String(index).padStart(6, '0')}`;
    const partner = partners[index % PARTNERS] as string;
    const reviewer = reviewers[index % reviewers.length] as string;
    const decision = DECISIONS[index % DECISIONS.length] as (typeof DECISIONS)[number];
    const created = await request('POST /v1/claims', 'POST', '/v1/claims', partner, draft(tag, randomUUID()));
    if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
    const claim = created.json as { id: string; version: number };
    const tracked: Tracked = {
      index,
      tag,
      id: claim.id,
      partner,
      decision,
      acked: [claim.version],
      edits: new Map(),
      done: false,
    };
    claims.push(tracked);
    const path = `/v1/claims/${claim.id}`;
    // Two edits race without If-Match: one wins, the other is a 409 (or both land in turn).
    const names = ['A', 'B'].map((s) => `Rollout ${tag} ${s}`);
    const edits = await Promise.all(
      names.map((name) => request('PATCH /v1/claims/{id}', 'PATCH', path, partner, { name })),
    );
    for (const [i, edit] of edits.entries()) {
      if (edit.status === 200) {
        const v = (edit.json as { version: number }).version;
        tracked.acked.push(v);
        tracked.edits.set(v, names[i] as string);
      } else if (edit.status !== 409) throw new Error(`edit: ${edit.status} ${edit.text}`);
    }
    const read = await request('GET /v1/claims/{id}', 'GET', path, partner);
    if (read.status !== 200) throw new Error(`get: ${read.status}`);
    await seedAvailableDocument(seeder, claim.id);
    const step = async (route: string, action: string, token: string, body: unknown) => {
      const r = await request(route, 'POST', `${path}/${action}`, token, body);
      if (r.status !== 200) throw new Error(`${action}: ${r.status} ${r.text}`);
      tracked.acked.push((r.json as { version: number }).version);
    };
    await step('POST …/submit', 'submit', partner, {});
    await step('POST …/start-review', 'start-review', reviewer, {});
    if (decision === 'approve')
      await step('POST …/approve', 'approve', reviewer, { comment: 'Convincing PoE.' });
    else if (decision === 'reject')
      await step('POST …/reject', 'reject', reviewer, {
        reason: 'insufficientPoe',
        comment: 'No product shown.',
      });
    else
      await step('POST …/request-info', 'request-info', reviewer, {
        reasons: ['missingOrOldDates'],
        comment: 'The PoE has no dates.',
      });
    tracked.done = true;
  };
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        if (next >= TARGET_CLAIMS || performance.now() > deadline) return;
        const index = next++;
        try {
          await lifecycleOf(index);
        } catch (error) {
          failures.push(`claim ${index}: ${(error as Error).message}`);
        }
        if (index % 250 === 0) log(`${index} claims started`);
      }
    }),
  );
  const loadSeconds = (performance.now() - runStarted) / 1000;
  const requests = [...latencies.values()].reduce((s, l) => s + l.length, 0);
  log(`${claims.length} claims in ${loadSeconds.toFixed(1)} s; settling the lifecycle (relay, emails)`);
  const settleStarted = performance.now();
  // `settle()` drains a bounded number of stream pages per call; under this load the local
  // poller lags, so settle until the inbox stops growing (bounded).
  const inbox = async () =>
    ((await (await fetch(`${lifecycle.ses.url}/store`)).json()) as { emails: { subject: string }[] }).emails;
  let settleRounds = 0;
  for (let previous = -1; settleRounds < 60; settleRounds++) {
    await lifecycle.settle();
    const count = (await inbox()).length;
    if (count === previous) break;
    previous = count;
  }
  const settleSeconds = (performance.now() - settleStarted) / 1000;
  log(`settled in ${settleSeconds.toFixed(1)} s; checking invariants`);

  // The invariant checker.
  const store = new DynamoDbClaimStore(createDocumentClient(raw), tableName);
  const emails = await inbox();
  const emailsByTag = new Map<string, string[]>();
  const stray: string[] = [];
  for (const email of emails) {
    const tag = /lt\d{6}/.exec(email.subject)?.[0];
    if (!tag) stray.push(email.subject);
    else emailsByTag.set(tag, [...(emailsByTag.get(tag) ?? []), email.subject]);
  }
  const timers = new Map<string, number>();
  for (const t of lifecycle.timers.pending()) {
    const key = `${t.claimId}|${t.deadline}|${t.dueAt}`;
    timers.set(key, (timers.get(key) ?? 0) + 1);
  }
  const violations: string[] = [...failures, ...stray.map((s) => `email for no claim: ${s}`)];
  const counts = { claims: 0, historyEvents: 0, emails: 0, liveDeadlines: 0, lostUpdates: 0 };
  await pool(claims, 8, async (c) => {
    counts.claims++;
    const v = (m: string) => violations.push(`${c.tag} (${c.id}): ${m}`);
    const record = await store.get(c.id);
    if (!record) return v('claim missing');
    const events: HistoryEvent[] = await store.history(c.id);
    counts.historyEvents += events.length;
    const claim = record.claim;
    // No lost update.
    const maxAcked = Math.max(...c.acked);
    if (claim.version !== maxAcked) {
      counts.lostUpdates++;
      v(`version ${claim.version}, highest acknowledged ${maxAcked}`);
    }
    const versions = new Set(events.map((e) => e.version));
    for (const a of c.acked) if (!versions.has(a)) v(`acknowledged version ${a} has no history event`);
    const lastEdit = Math.max(...c.edits.keys());
    if (c.edits.size === 0) v('no edit acknowledged');
    else if (claim.name !== c.edits.get(lastEdit))
      v(`name ${claim.name}, last acknowledged edit ${c.edits.get(lastEdit)}`);
    // Status = replay of the history.
    const replayed = events.filter((e) => e.toStatus !== undefined).at(-1)?.toStatus;
    if (replayed !== claim.status) v(`status ${claim.status}, history replays to ${replayed}`);
    // Chain verifies, in the store and as the API reports it.
    const chain = verifyHistoryChain(events);
    if (!chain.valid) v(`history chain broken at ${chain.seq}: ${chain.problem}`);
    if (record.head.seq !== events.length) v(`head ${record.head.seq}, ${events.length} events`);
    const api = await http('GET', `/v1/claims/${c.id}/history`, { token: reviewers[0] as string });
    const verification = (api.json as { verification?: { valid: boolean } }).verification;
    if (api.status !== 200 || verification?.valid !== true)
      v(`API verification ${JSON.stringify(verification)}`);
    // Emails and timers exactly once.
    const got = emailsByTag.get(c.tag) ?? [];
    counts.emails += got.length;
    const expected = c.done ? 1 : 0;
    if (got.length !== expected) v(`${got.length} emails, expected ${expected}: ${got.join(' | ')}`);
    else if (expected === 1 && !got[0]?.includes(EMAIL_OF[c.decision]))
      v(`email "${got[0]}" is not the ${c.decision} email`);
    for (const [kind, dueAt] of Object.entries(claim.deadlines ?? {})) {
      counts.liveDeadlines++;
      const n = timers.get(`${c.id}|${kind}|${dueAt}`) ?? 0;
      if (n !== 1) v(`${n} pending timers for ${kind} at ${dueAt}`);
    }
  });

  const routes = [...latencies.entries()].map(([route, ms]) => ({
    route,
    requests: ms.length,
    perSecond: round(ms.length / loadSeconds, 1),
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    statuses: Object.fromEntries(statuses.get(route) ?? []),
  }));
  const summary = {
    generatedAt: new Date().toISOString(),
    cpus: availableParallelism(),
    concurrency: CONCURRENCY,
    partners: PARTNERS,
    claims: claims.length,
    completed: claims.filter((c) => c.done).length,
    loadSeconds: round(loadSeconds, 1),
    claimsPerSecond: round(claims.length / loadSeconds, 1),
    requestsPerSecond: round(requests / loadSeconds, 1),
    settleSeconds: round(settleSeconds, 1),
    settleRounds,
    violationKinds: kinds(violations),
    routes,
    checked: counts,
    emails: emails.length,
    pendingTimers: lifecycle.timers.pending().length,
    violations: violations.length,
    firstViolations: violations.slice(0, 20),
  };
  printTable(
    `Load: ${summary.claims} claims (${summary.completed} through review) by ${PARTNERS} partners, ${CONCURRENCY} concurrent, in ${summary.loadSeconds} s → ${summary.claimsPerSecond} claims/s, ${summary.requestsPerSecond} requests/s`,
    ['route', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'statuses'],
    routes.map((r) => [r.route, r.requests, r.perSecond, r.p50Ms, r.p99Ms, JSON.stringify(r.statuses)]),
  );
  console.log(
    `\nInvariants over ${counts.claims} claims, ${counts.historyEvents} history events, ${emails.length} emails, ${summary.pendingTimers} pending timers (${counts.liveDeadlines} live deadlines): ${violations.length} violations.`,
  );
  for (const [kind, n] of Object.entries(summary.violationKinds)) console.log(`  ${n} × ${kind}`);
  for (const line of summary.firstViolations) console.log(`  ${line}`);
  const file = join(ROOT, 'bench-results.json');
  const existing = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
  writeFileSync(file, `${JSON.stringify({ ...existing, load: summary }, null, 2)}\n`);
  console.log('Wrote the `load` key of bench-results.json.');
  if (violations.length > 0 || claims.length < Math.min(TARGET_CLAIMS, 2000)) exitCode = 1;
} finally {
  await cloud.stop().catch(() => {});
  raw.destroy();
  await dynamoDb.stop();
}
process.exit(exitCode);

/** Violations grouped by their message with ids, tags and numbers blanked. */
function kinds(violations: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of violations) {
    const kind = v
      .replace(/^lt\d{6} \([^)]*\): /, '')
      .replace(/lt\d{6}/g, '<tag>')
      .replace(/\d[\d:.TZ-]*/g, 'N');
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}
