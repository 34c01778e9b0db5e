/**
 * `npm run bench:load`: claims through their lifecycles against `npm start` in its own process
 * group, `kill -9`-ed and restarted at seeded random moments, then an invariant checker on the
 * data after a final kill and restart. Parameters (flag or environment variable):
 *
 *   --claims  LOAD_CLAIMS       journeys, one claim each (default 10000)
 *   --kills   LOAD_KILLS        kill -9 + restart during the run (default 3)
 *   --seed    LOAD_SEED         PRNG seed for kill moments and the journey mix (default 1)
 *   --concurrency LOAD_CONCURRENCY  journeys in flight (default 16)
 *   LOAD_CLOCK_EVERY_S  the clock driver moves the virtual clock one day this often (default 10)
 *   LOAD_MAX_MINUTES    no journey starts after this (default 120); every request and wait is
 *                       bounded too, so the run always ends by itself
 *
 * Prints the figures and every invariant's count; writes the `load` key of bench-results.json;
 * exits 1 on any violation. The data folder (with each start's log) is kept when the run fails.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDocumentClient } from '../../functions/wiring.js';
import { createLocalDynamoDbClient, findFreePort } from '../../infra/local/dynamodb-local.js';
import { TOKEN_LIFETIME_SECONDS } from '../../infra/local/local-auth.js';
import { LOCAL_TABLE_NAME } from '../../infra/local/local-cloud.js';
import { chaosController, seededRandom, startWithRetries } from './load-chaos.js';
import {
  checkClaims,
  checkDeadlines,
  INVARIANTS,
  type InboxEmail,
  type Invariant,
  readClaims,
  type TimerItem,
  Violations,
} from './load-checker.js';
import { GaveUpError, newStats, retryingClient } from './load-client.js';
import { type Journey, PLANS, pickPlan, runJourney } from './load-journey.js';
import { sleep, stackProcess } from './load-stack.js';
import { percentile, printTable, ROOT, round, writeBenchResults } from './support.js';

const { values: flags } = parseArgs({
  options: {
    claims: { type: 'string' },
    kills: { type: 'string' },
    seed: { type: 'string' },
    concurrency: { type: 'string' },
  },
  strict: true,
});
const param = (flag: string | undefined, env: string, fallback: number) => {
  const value = Number(flag ?? process.env[env] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${env} must be a whole number, got ${value}`);
  return value;
};
const CLAIMS = param(flags.claims, 'LOAD_CLAIMS', 10_000);
const KILLS = param(flags.kills, 'LOAD_KILLS', 3);
const SEED = param(flags.seed, 'LOAD_SEED', 1);
const CONCURRENCY = param(flags.concurrency, 'LOAD_CONCURRENCY', 16);
const CLOCK_EVERY_S = param(undefined, 'LOAD_CLOCK_EVERY_S', 10);
const MAX_MINUTES = param(undefined, 'LOAD_MAX_MINUTES', 120);
const PARTNERS = 25;
const PROGRESS_EVERY = Math.max(10, Math.round(CLAIMS / 40));
/** After the run: one move past every consent (7 d), dispute (30 d) and response window. */
const FINAL_ADVANCE_DAYS = 45;
/** `/_local/*` lifecycle routes answer 404 until the runtime is up, after `/health` is. */
const NOT_READY = [404];
/** One settle (relay, timers, inbox stable) never takes longer than this. */
const SETTLE_MAX_MS = 10 * 60_000;

const started = performance.now();
const elapsedSeconds = () => (performance.now() - started) / 1000;
const log = (message: string) => console.error(`[load ${elapsedSeconds().toFixed(0)}s] ${message}`);

const dataRoot = mkdtempSync(join(tmpdir(), 'cpor-load-'));
const stack = stackProcess({
  root: ROOT,
  dataDir: join(dataRoot, 'data'),
  port: await findFreePort(),
  sesPort: await findFreePort(),
  logDir: dataRoot,
  log,
  startTimeoutMs: 600_000, // a slow restart under load is reported, not a failure of the run
});
const stats = newStats();
const client = retryingClient({
  baseUrl: () => stack.endpoints().url,
  stats,
  giveUpMs: 180_000,
  attemptTimeoutMs: 30_000,
});
/** For the harness's own calls (clock, settle): a failure is reported, not waited out. */
const impatient = retryingClient({
  baseUrl: () => stack.endpoints().url,
  stats: newStats(),
  giveUpMs: 45_000,
  attemptTimeoutMs: 30_000,
});
process.on('SIGINT', () => {
  void stack.kill().finally(() => process.exit(130));
});

let exitCode = 1;
try {
  log(`seed ${SEED}: ${CLAIMS} journeys, ${KILLS} kills, ${CONCURRENCY} concurrent; data in ${dataRoot}`);
  await startWithRetries(stack, log);
  const token = async (body: unknown) => {
    const answer = await client.send('POST /_local/token', 'POST', '/_local/token', { body });
    if (answer.status !== 200) throw new Error(`token: ${answer.status} ${answer.text}`);
    return (answer.json as { token: string }).token;
  };
  const partnerTokens: string[] = [];
  const reviewerTokens: string[] = [];
  const issueTokens = async () => {
    const partners = await Promise.all(
      Array.from({ length: PARTNERS }, (_, p) =>
        token({ sub: `user-${p}`, partnerId: `load-partner-${p}`, roles: ['Partner.GlobalAdmin'] }),
      ),
    );
    const reviewers = await Promise.all(['rita', 'ray'].map((sub) => token({ sub, roles: ['Reviewer'] })));
    partnerTokens.splice(0, partners.length, ...partners);
    reviewerTokens.splice(0, reviewers.length, ...reviewers);
  };
  await issueTokens();
  // A dev token lives an hour: like a portal, re-issue them well before (a journey that took one
  // just before the refresh still has 40 minutes), so a long run never turns into 401s.
  const tokenRefresher = setInterval(
    () => void issueTokens().catch((error: unknown) => log(`re-issuing tokens failed: ${String(error)}`)),
    (TOKEN_LIFETIME_SECONDS * 1000) / 3,
  );
  tokenRefresher.unref();

  const random = seededRandom(SEED);
  const journeys: Journey[] = Array.from({ length: CLAIMS }, (_, index) => ({
    index,
    tag: `lt${String(index).padStart(6, '0')}`,
    plan: pickPlan(random),
    disputeOutcome: random() < 0.5 ? 'overturned' : 'upheld',
    partner: index % PARTNERS,
    ackedVersions: [],
    ackedComments: [],
    uploads: [],
    outcome: 'notStarted',
    notes: [],
  }));
  let startedJourneys = 0;
  const loadStarted = performance.now();
  const deadline = started + MAX_MINUTES * 60_000;
  const chaos = chaosController({
    stack,
    random,
    kills: KILLS,
    progress: () =>
      Math.max(startedJourneys / CLAIMS, (performance.now() - loadStarted) / (deadline - loadStarted)),
    journeysStarted: () => startedJourneys,
    elapsedSeconds,
    log,
  });
  log(
    `kill points (share of the run): ${chaos
      .plan()
      .map((p) => p.toFixed(2))
      .join(', ')}`,
  );
  let aborted: Error | undefined;
  // A stack that cannot be restarted ends the run: no journey starts after that.
  const chaosRun = chaos.run().catch((error: unknown) => {
    aborted = error as Error;
    log(`aborting: the stack could not be restarted: ${aborted.message.slice(0, 500)}`);
  });

  // Background: the clock driver (timers fall due during the run) and the inbox watcher.
  let driving = true;
  let watching = true;
  const clock = { advances: 0, failures: 0, timersFired: 0 };
  const clockDriver = (async () => {
    while (driving) {
      for (let waited = 0; driving && waited < CLOCK_EVERY_S * 1000; waited += 200) await sleep(200);
      if (!driving) return;
      try {
        const answer = await impatient.send('POST /_local/clock', 'POST', '/_local/clock', {
          body: { advanceDays: 1 },
          retryOn: NOT_READY,
        });
        if (answer.status === 200) {
          clock.advances++;
          clock.timersFired += (answer.json as { timersFired?: number }).timersFired ?? 0;
        } else {
          clock.failures++;
          log(`clock advance: ${answer.status} ${answer.text.slice(0, 200)}`);
        }
      } catch (error) {
        clock.failures++;
        log(`clock advance: ${(error as Error).message}`);
      }
    }
  })();
  const inbox = new Map<string, InboxEmail>();
  const readInbox = async (since?: number) => {
    const query = since === undefined ? '' : `?since=${since}`;
    const response = await fetch(`${stack.endpoints().sesUrl}/store${query}`, {
      signal: AbortSignal.timeout(30_000),
    });
    return ((await response.json()) as { emails: (InboxEmail & { at: number })[] }).emails;
  };
  let inboxSince = 0;
  const inboxWatcher = (async () => {
    for (let last = false; !last; ) {
      last = !watching; // one more read after the watch ends
      try {
        for (const email of await readInbox(inboxSince)) {
          inbox.set(email.messageId, { messageId: email.messageId, subject: email.subject });
          inboxSince = Math.max(inboxSince, email.at - 2);
        }
      } catch {
        // the stack is down; the next round reads again
      }
      await sleep(1000);
    }
  })();

  let nextJourney = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (nextJourney < journeys.length && performance.now() < deadline && !aborted) {
        const journey = journeys[nextJourney++] as Journey;
        startedJourneys++;
        if (startedJourneys % PROGRESS_EVERY === 0) log(`${startedJourneys} journeys started`);
        await runJourney(journey, {
          client,
          runId: `s${SEED}`,
          partnerTokens,
          reviewerTokens,
          verifyTimeoutMs: 60_000,
          uploadGiveUpMs: 60_000,
        });
      }
    }),
  );
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  chaos.stop();
  await chaosRun;
  driving = false;
  await clockDriver;
  if (aborted) throw aborted;
  const settle = async (rounds: number) => {
    const settleFrom = Math.floor(Date.now() / 1000) - 1;
    let previous = -1;
    const until = Date.now() + SETTLE_MAX_MS;
    for (let round = 0, stable = 0; round < rounds && stable < 2 && Date.now() < until; round++) {
      try {
        const answer = await impatient.send('POST /_local/clock', 'POST', '/_local/clock', {
          body: { advanceHours: 0.001 },
          retryOn: NOT_READY,
          attemptTimeoutMs: 5 * 60_000,
          giveUpMs: 45_000,
        });
        if (answer.status !== 200) log(`settle: ${answer.status} ${answer.text.slice(0, 200)}`);
      } catch (error) {
        log(`settle: ${(error as Error).message}`);
      }
      const count = await readInbox(settleFrom).then(
        (emails) => emails.length,
        () => -1,
      );
      stable = count === previous ? stable + 1 : 0;
      previous = count;
      await sleep(1000);
    }
  };
  // Let the relay catch up while the inbox is watched: the inbox does not survive a restart
  // today, so an email sent just before the final kill would otherwise go unseen.
  log(`${startedJourneys} journeys in ${loadSeconds.toFixed(0)} s; settling before the final kill`);
  await settle(30);
  watching = false;
  await inboxWatcher;
  log('final kill -9 and restart');

  // The final restart: the checker reads what survived, as after any crash.
  await stack.kill();
  await startWithRetries(stack, log);
  const settleStarted = performance.now();
  await settle(30);
  const docs = createDocumentClient(createLocalDynamoDbClient(stack.endpoints().dynamoDbEndpoint));
  const timers = async () => {
    const answer = await impatient.send('GET /_local/timers', 'GET', '/_local/timers', {
      retryOn: NOT_READY,
    });
    if (answer.status !== 200) throw new Error(`GET /_local/timers: ${answer.status} ${answer.text}`);
    return (answer.json as { items: TimerItem[] }).items;
  };
  const now = async () =>
    new Date(
      ((await impatient.send('GET /_local/clock', 'GET', '/_local/clock')).json as { now: string }).now,
    );

  log('checking deadlines and timers before the final clock move');
  const violations = new Violations();
  const before = new Violations();
  const beforeSnapshots = await readClaims(docs, LOCAL_TABLE_NAME);
  const beforeDeadlines = checkDeadlines(beforeSnapshots, await timers(), await now(), before);
  for (const [kind, list] of before.byKind)
    for (const detail of list) violations.add(kind, `[before the final clock move] ${detail}`);

  log(`moving the clock ${FINAL_ADVANCE_DAYS} days: every open window ends`);
  try {
    await impatient.send('POST /_local/clock', 'POST', '/_local/clock', {
      body: { advanceDays: FINAL_ADVANCE_DAYS },
      retryOn: NOT_READY,
      // It fires every timer of the run: one long attempt, since a retry would move it again.
      attemptTimeoutMs: 30 * 60_000,
      giveUpMs: 45_000,
    });
  } catch (error) {
    if (!(error instanceof GaveUpError)) throw error;
    log(`final clock move: ${error.message}`);
  }
  await settle(30);
  const settleSeconds = (performance.now() - settleStarted) / 1000;

  log('checking every claim');
  const finalInbox = await readInbox();
  const inFinalInbox = new Set(finalInbox.map((e) => e.messageId));
  const missingFromFinalInbox = [...inbox.keys()].filter((id) => !inFinalInbox.has(id)).length;
  for (const email of finalInbox) inbox.set(email.messageId, email);
  const snapshots = await readClaims(docs, LOCAL_TABLE_NAME);
  const afterDeadlines = checkDeadlines(snapshots, await timers(), await now(), violations);
  const checked = checkClaims(journeys, snapshots, [...inbox.values()], violations);

  // Figures.
  const requests = [...stats.latencies.values()].reduce((sum, list) => sum + list.length, 0);
  const routes = [...stats.latencies.entries()].map(([route, ms]) => ({
    route,
    requests: ms.length,
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    retries: stats.retries.get(route) ?? 0,
    statuses: Object.fromEntries(stats.statuses.get(route) ?? []),
  }));
  const outcomes = Object.fromEntries(
    PLANS.map((plan) => {
      const of = journeys.filter((j) => j.plan === plan);
      const by = (o: Journey['outcome']) => of.filter((j) => j.outcome === o).length;
      return [
        plan,
        {
          journeys: of.length,
          done: by('done'),
          overtaken: by('overtaken'),
          failed: by('failed'),
          notStarted: by('notStarted'),
        },
      ];
    }),
  );
  const notes: Record<string, number> = {};
  for (const j of journeys)
    for (const note of j.notes) {
      const kind = note.replace(/\d+/g, 'N').replace(/: .*/, '');
      notes[kind] = (notes[kind] ?? 0) + 1;
    }
  const counts = violations.counts();
  const summary = {
    generatedAt: new Date().toISOString(),
    cpus: availableParallelism(),
    seed: SEED,
    claims: CLAIMS,
    journeysStarted: startedJourneys,
    concurrency: CONCURRENCY,
    partners: PARTNERS,
    killsPlanned: KILLS,
    kills: chaos.kills(),
    unexpectedExits: stack.unexpectedExits().map(({ tail, ...exit }) => ({
      ...exit,
      lastOutput: tail.slice(-600),
    })),
    loadSeconds: round(loadSeconds, 1),
    claimsPerSecond: round(startedJourneys / loadSeconds, 1),
    requestsPerSecond: round(requests / loadSeconds, 1),
    settleSeconds: round(settleSeconds, 1),
    runSeconds: round(elapsedSeconds(), 1),
    clock,
    outcomes,
    notes,
    routes,
    checked: {
      ...checked,
      emailsSeenDuringRun: inbox.size,
      emailsMissingFromFinalInbox: missingFromFinalInbox,
      beforeFinalClockMove: beforeDeadlines,
      afterFinalClockMove: afterDeadlines,
    },
    serviceErrors: errorLines(dataRoot),
    invariants: counts,
    violations: violations.total,
    examples: violations.examples(),
  };

  printTable(
    `Load: ${startedJourneys} journeys by ${PARTNERS} partners, ${CONCURRENCY} concurrent, ${chaos.kills().length} restarts, in ${summary.loadSeconds} s → ${summary.claimsPerSecond} claims/s, ${summary.requestsPerSecond} requests/s`,
    ['route', 'requests', 'p50 ms', 'p99 ms', 'retries', 'statuses'],
    routes.map((r) => [r.route, r.requests, r.p50Ms, r.p99Ms, r.retries, JSON.stringify(r.statuses)]),
  );
  console.log(`\nKills: ${JSON.stringify(summary.kills)}`);
  console.log(`Unexpected exits: ${summary.unexpectedExits.length}; clock: ${JSON.stringify(clock)}`);
  console.log(`Outcomes by plan: ${JSON.stringify(outcomes)}`);
  console.log(`Client workarounds: ${JSON.stringify(notes)}`);
  console.log(`Checked: ${JSON.stringify(summary.checked)}`);
  console.log(`Service ERROR log lines: ${JSON.stringify(summary.serviceErrors)}`);
  console.log(`\nInvariants (${violations.total} violations):`);
  for (const kind of Object.keys(INVARIANTS) as Invariant[]) {
    console.log(`  ${String(counts[kind]).padStart(6)}  ${kind}: ${INVARIANTS[kind]}`);
    for (const example of summary.examples[kind] ?? []) console.log(`            e.g. ${example}`);
  }
  writeBenchResults({ load: summary }, (key) => key !== 'load');
  console.log('Wrote the `load` key of bench-results.json.');
  const enoughKills = chaos.kills().filter((k) => k.cause === 'kill').length >= KILLS;
  if (!enoughKills) console.log(`Only ${chaos.kills().length} of ${KILLS} planned kills happened.`);
  exitCode = violations.total === 0 && enoughKills && startedJourneys === CLAIMS ? 0 : 1;
} catch (error) {
  console.error('The load run failed:', error);
} finally {
  await stack.stop().catch(() => {});
  if (exitCode === 0) rmSync(dataRoot, { recursive: true, force: true });
  else console.error(`Kept the data folder and the stack logs in ${dataRoot}.`);
}
process.exit(exitCode);

/** ERROR lines in the stack's logs, counted by message (e.g. a poller that keeps failing). */
function errorLines(folder: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of readdirSync(folder).filter((f) => /^stack-\d+\.log$/.test(f))) {
    for (const line of readFileSync(join(folder, file), 'utf8').split('\n')) {
      if (!line.includes('"level":"ERROR"')) continue;
      let key = line.slice(0, 80);
      try {
        const parsed = JSON.parse(line) as { message?: string; error?: { name?: string } };
        key = `${parsed.message}${parsed.error?.name ? ` (${parsed.error.name})` : ''}`;
      } catch {
        // not JSON: counted by its start
      }
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}
