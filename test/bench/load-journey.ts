/**
 * One claim's journey through its lifecycle, as a partner portal and a reviewer tool drive it
 * while the stack may be killed at any moment: create, two edits racing two comments, a PDF
 * PoE through the presigned POST, submit, start-review (a comment racing it), then one of the
 * plans below. Timeouts (auto-reject, consent end, dispute end) are left to the timers and the
 * clock driver. Everything acknowledged is recorded for the invariant checker.
 */
import { samplePdf } from '../support/sample-files.js';
import type { Answer, RetryingClient } from './load-client.js';
import { draft } from './support.js';

export const PLANS = ['approve', 'infoResubmit', 'infoTimeout', 'rejectDispute', 'rejectFinal'] as const;
export type Plan = (typeof PLANS)[number];
/** Share of each plan in the mix. */
const PLAN_WEIGHTS: Record<Plan, number> = {
  approve: 0.3,
  infoResubmit: 0.2,
  infoTimeout: 0.1,
  rejectDispute: 0.25,
  rejectFinal: 0.15,
};

export function pickPlan(random: () => number): Plan {
  let r = random();
  for (const plan of PLANS) {
    r -= PLAN_WEIGHTS[plan];
    if (r < 0) return plan;
  }
  return 'approve';
}

export interface Journey {
  index: number;
  /** In the claim's name and customer domain, hence in every email about it. */
  tag: string;
  plan: Plan;
  /** For `rejectDispute`. */
  disputeOutcome: 'overturned' | 'upheld';
  partner: number;
  /** The create was acknowledged (201) with this id. */
  claimId?: string;
  /** Claim versions of every acknowledged transition or edit. */
  ackedVersions: number[];
  /** Texts of every acknowledged (201) comment. */
  ackedComments: string[];
  /** Declared documents and whether S3 accepted their bytes (204). */
  uploads: { documentId: string; accepted: boolean }[];
  /** `notStarted` when the run's time was up before its turn. */
  outcome: 'notStarted' | 'running' | 'done' | 'overtaken' | 'failed';
  failure?: string;
  /** What the client had to work around (e.g. a 409 on a comment). */
  notes: string[];
}

export interface JourneyContext {
  client: RetryingClient;
  runId: string;
  partnerTokens: string[];
  reviewerTokens: string[];
  /** Polling a document until it is verified: how long before the portal uploads another. */
  verifyTimeoutMs: number;
  /** How long an upload may be refused (e.g. its URL points at a port that is gone). */
  uploadGiveUpMs: number;
}

class JourneyStop extends Error {
  constructor(
    readonly outcome: 'overtaken' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

const PDF = samplePdf(2048);
const MAX_DOCUMENTS = 3;
const COMMENT_ATTEMPTS = 3;

export async function runJourney(journey: Journey, ctx: JourneyContext): Promise<void> {
  journey.outcome = 'running';
  try {
    await drive(journey, ctx);
    journey.outcome = 'done';
  } catch (error) {
    journey.outcome = error instanceof JourneyStop ? error.outcome : 'failed';
    journey.failure = (error as Error).message.slice(0, 300);
  }
}

async function drive(j: Journey, ctx: JourneyContext): Promise<void> {
  const { client } = ctx;
  const partner = ctx.partnerTokens[j.partner % ctx.partnerTokens.length] as string;
  const reviewer = ctx.reviewerTokens[j.index % ctx.reviewerTokens.length] as string;
  const keyOf = (what: string) => `${ctx.runId}-${j.tag}-${what}`;
  const tenantId = tenantOf(j.index);

  const created = await client.send('POST /v1/claims', 'POST', '/v1/claims', {
    token: partner,
    body: draft(j.tag, tenantId),
    idempotencyKey: keyOf('create'),
  });
  if (created.status !== 201) throw fail('create', created);
  const claim = created.json as { id: string; version: number };
  j.claimId = claim.id;
  j.ackedVersions.push(claim.version);
  const path = `/v1/claims/${claim.id}`;

  const status = async (): Promise<string> => {
    const read = await client.send('GET /v1/claims/{id}', 'GET', path, { token: partner });
    if (read.status !== 200) throw fail('get', read);
    return (read.json as { status: string }).status;
  };
  let commentCount = 0;
  const comment = async (token: string) => {
    const n = ++commentCount;
    for (let attempt = 1; attempt <= COMMENT_ATTEMPTS; attempt++) {
      const text = `${j.tag} comment ${n} try ${attempt}`;
      const answer = await client.send('POST …/comments', 'POST', `${path}/comments`, {
        token,
        body: { text },
        idempotencyKey: keyOf(`comment-${n}-${attempt}`),
      });
      if (answer.status === 201) {
        j.ackedComments.push(text);
        return;
      }
      if (answer.status !== 409) throw fail('comment', answer);
      j.notes.push('comment refused with 409');
    }
    j.notes.push(`comment ${n} refused ${COMMENT_ATTEMPTS} times`);
  };
  const edit = async (body: unknown) => {
    const answer = await client.send('PATCH /v1/claims/{id}', 'PATCH', path, { token: partner, body });
    // Racing edits without If-Match: one may lose with a 409, which is an answer, not a loss.
    if (answer.status === 200) j.ackedVersions.push((answer.json as { version: number }).version);
    else if (answer.status !== 409) throw fail('edit', answer);
  };
  const counts = new Map<string, number>();
  /**
   * A transition. A 409 after a retry may mean the first attempt committed but its answer (and,
   * with a crash, its idempotency record) was lost: the portal reloads the claim and carries on
   * when it is already where the action leads.
   */
  const act = async (action: string, token: string, body: unknown, leadsTo: string[]) => {
    const n = (counts.get(action) ?? 0) + 1;
    counts.set(action, n);
    const answer = await client.send(`POST …/${action}`, 'POST', `${path}/${action}`, {
      token,
      body,
      idempotencyKey: keyOf(`${action}-${n}`),
    });
    if (answer.status === 200) {
      j.ackedVersions.push((answer.json as { version: number }).version);
      return;
    }
    if (answer.status === 409) {
      const now = await status();
      if (answer.retries > 0 && leadsTo.includes(now)) {
        j.notes.push(`${action}: 409 on a retry, the claim was already ${now}`);
        return;
      }
      // A timer got there first (e.g. auto-rejected while the partner was answering).
      if (now === 'rejected' && token === partner) {
        throw new JourneyStop('overtaken', `${action}: the claim was rejected by a deadline first`);
      }
    }
    throw fail(action, answer);
  };

  // Two edits race two comments.
  await Promise.all([
    edit({ name: `Rollout ${j.tag} A` }),
    edit({ name: `Rollout ${j.tag} B` }),
    comment(partner),
    comment(partner),
  ]);

  await uploadPoe(j, ctx, partner, path, keyOf);
  await act('submit', partner, {}, ['submitted', 'underReview']);
  await Promise.all([act('start-review', reviewer, {}, ['underReview']), comment(reviewer)]);

  switch (j.plan) {
    case 'approve':
      await act('approve', reviewer, { comment: 'Convincing PoE.' }, ['approved']);
      return;
    case 'infoResubmit':
    case 'infoTimeout':
      await Promise.all([
        act('request-info', reviewer, { reasons: ['missingOrOldDates'], comment: 'The PoE has no dates.' }, [
          'partnerActionRequired',
        ]),
        comment(partner),
      ]);
      if (j.plan === 'infoTimeout') return; // the partner never answers: the timer rejects it
      await edit({
        products: [{ family: 'businessApplications', workload: 'Dynamics 365 Sales and Service' }],
      });
      await comment(partner);
      await act('submit', partner, {}, ['underReview']);
      await act('approve', reviewer, { comment: 'Dates supplied.' }, ['approved']);
      return;
    case 'rejectDispute':
    case 'rejectFinal':
      await act('reject', reviewer, { reason: 'insufficientPoe', comment: 'No product shown.' }, [
        'rejected',
      ]);
      if (j.plan === 'rejectFinal') return; // never disputed: the dispute window ends by timer
      await act('dispute', partner, { justification: 'The PoE shows the go-live.' }, ['disputed']);
      await act('resolve-dispute', reviewer, { outcome: j.disputeOutcome, comment: 'Looked again.' }, [
        j.disputeOutcome === 'overturned' ? 'approved' : 'rejected',
      ]);
      return;
  }
}

/**
 * Declares a PDF, POSTs it to the presigned form and waits until it is verified. When the
 * upload is refused for good or stays unverified, the portal declares another (as a user
 * would upload again), at most `MAX_DOCUMENTS` times.
 */
async function uploadPoe(
  j: Journey,
  ctx: JourneyContext,
  partner: string,
  path: string,
  keyOf: (what: string) => string,
): Promise<void> {
  const { client } = ctx;
  for (let n = 1; n <= MAX_DOCUMENTS; n++) {
    const declared = await client.send('POST …/documents', 'POST', `${path}/documents`, {
      token: partner,
      body: { fileName: 'poe.pdf', contentType: 'application/pdf', size: PDF.length },
      idempotencyKey: keyOf(`document-${n}`),
    });
    if (declared.status !== 201) throw fail('declare document', declared);
    const { document, upload } = declared.json as {
      document: { id: string };
      upload: { url: string; fields: Record<string, string> };
    };
    const tracked = { documentId: document.id, accepted: false };
    j.uploads.push(tracked);
    let uploaded: Answer;
    try {
      uploaded = await client.upload('S3 presigned POST', upload, PDF, 'poe.pdf', 'application/pdf', {
        giveUpMs: ctx.uploadGiveUpMs,
      });
    } catch (error) {
      j.notes.push(`upload URL refused: ${(error as Error).message.slice(0, 120)}`);
      continue;
    }
    if (uploaded.status !== 204) throw fail('upload', uploaded);
    tracked.accepted = true;
    const verified = await waitVerified(ctx, partner, path, document.id);
    if (verified === 'available') return;
    if (verified === 'rejected') throw new JourneyStop('failed', `document ${document.id} was rejected`);
    j.notes.push('upload accepted by S3 but never verified');
  }
  throw new JourneyStop('failed', `no document verified after ${MAX_DOCUMENTS} uploads`);
}

async function waitVerified(
  ctx: JourneyContext,
  partner: string,
  path: string,
  documentId: string,
): Promise<'available' | 'rejected' | 'timeout'> {
  const deadline = Date.now() + ctx.verifyTimeoutMs;
  for (let wait = 100; Date.now() < deadline; wait = Math.min(wait * 2, 2000)) {
    await new Promise((r) => setTimeout(r, wait));
    const list = await ctx.client.send('GET …/documents', 'GET', `${path}/documents`, { token: partner });
    if (list.status !== 200) throw fail('list documents', list);
    const doc = (list.json as { items: { id: string; status: string }[] }).items.find(
      (d) => d.id === documentId,
    );
    if (doc?.status === 'available' || doc?.status === 'rejected') return doc.status;
  }
  return 'timeout';
}

function fail(step: string, answer: Answer): JourneyStop {
  return new JourneyStop('failed', `${step}: ${answer.status} ${answer.text.slice(0, 200)}`);
}

/** A GUID per journey, so conflict detection (same tenant) stays out of the way. */
function tenantOf(index: number): string {
  const hex = index.toString(16).padStart(12, '0');
  return `8f0c2a5e-4b1d-4c3e-9a7f-${hex}`;
}
