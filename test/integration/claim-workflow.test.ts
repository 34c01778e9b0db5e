/**
 * The lifecycle table of design.md, driven over HTTP through the local adapter against
 * DynamoDB Local: every transition, and every refusal (403/404/409/412/400) with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../functions/domain/business-calendar.js';
import { ROUTES } from '../../functions/http/routes.js';
import { seedAvailableDocument } from '../support/documents.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import {
  ACTION_BODIES,
  type ActionPath,
  act,
  type Cast,
  type ClaimView,
  castOf,
  claimIn,
  claimOf,
  createClaim,
  footprint,
  getClaim,
  must,
  problemOf,
  type Status,
} from '../support/workflow.js';

/** The service runs on the default calendar (America/Los_Angeles, US public holidays). */
const calendar = createBusinessCalendar();

describe('claim workflow over HTTP (lifecycle table of design.md)', () => {
  let api: TestApi;
  let cast: Cast;
  let alice: string;
  let bob: string;
  let rita: string;
  const businessDays = (n: number) => calendar.addBusinessDays(api.clock.now(), n).toISOString();
  const calendarDays = (n: number) => calendar.addCalendarDays(api.clock.now(), n).toISOString();
  const aliceIn = (status: Status, overrides: Record<string, unknown> = {}) =>
    claimIn(api, { partner: alice, rita }, status, overrides);

  beforeAll(async () => {
    // A Tuesday morning in Seattle, away from US holidays, so business days are easy to read.
    api = await startTestApi({ clockStart: '2025-03-04T17:00:00.000Z' });
    cast = await castOf(api);
    ({ alice, bob, rita } = cast);
  });
  afterAll(async () => api?.stop());

  describe('the happy paths', () => {
    it('editing: the partner edits any field (JSON merge patch, If-Match) and cannot submit without an available document', async () => {
      const created = await createClaim(api, alice);
      expect(created).toMatchObject({ status: 'editing', version: 1, deadlines: {} });

      const patched = claimOf(
        await api.request('PATCH', `/v1/claims/${created.id}`, {
          token: alice,
          headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
          body: {
            name: 'Contoso Power Platform rollout',
            // The contact moves with the domain: it must stay an address of the customer.
            customer: { domain: 'contoso.org', contact: { email: 'chris@contoso.org' } },
            activity: 'revenueAssociation',
          },
        }),
      );
      expect(patched).toMatchObject({
        status: 'editing',
        version: 2,
        name: 'Contoso Power Platform rollout',
        activity: 'revenueAssociation',
        customer: {
          domain: 'contoso.org',
          tenantId: created.customer.tenantId,
          contact: { ...created.customer.contact, email: 'chris@contoso.org' },
        },
        deadlines: {},
      });

      const refused = await act(api, alice, created.id, 'submit');
      expect(refused.status).toBe(409);
      expect(problemOf(refused)).toMatchObject({
        claimStatus: 'editing',
        type: expect.stringMatching(/no-available-document$/),
      });
      expect(await footprint(api, alice, created.id)).toMatchObject({ version: 2, status: 'editing' });
    });

    it('submit → submitted with reviewStartBy in 5 business days; start-review → underReview with decisionBy', async () => {
      const claim = await createClaim(api, alice);
      await seedAvailableDocument(api, claim.id);
      const submitted = await must(api, alice, claim.id, 'submit');
      expect(submitted).toMatchObject({ status: 'submitted', version: 2 });
      expect(submitted.deadlines).toEqual({ reviewStartBy: businessDays(5) });
      expect(submitted.submittedAt).toBe(api.clock.now().toISOString());

      api.clock.advance(3_600_000);
      const underReview = await must(api, rita, claim.id, 'start-review');
      expect(underReview).toMatchObject({ status: 'underReview', version: 3 });
      expect(underReview.deadlines).toEqual({ decisionBy: businessDays(5) });
      // A read carries the same live deadlines and ETag.
      expect(await getClaim(api, rita, claim.id)).toEqual(underReview);
    });

    it('submitted: only MPN, products and contacts are editable; `name` is a 409 naming status and field', async () => {
      const claim = await aliceIn('submitted');
      const allowed = claimOf(
        await api.request('PATCH', `/v1/claims/${claim.id}`, {
          token: alice,
          body: {
            partner: { mpnId: '7654321', contact: { email: 'pat@fabrikam.org' } },
            customer: { contact: { name: 'Chris C.' } },
            products: [{ family: 'microsoft365', workload: 'Teams' }],
          },
        }),
      );
      expect(allowed).toMatchObject({
        status: 'submitted',
        version: claim.version + 1,
        partner: { mpnId: '7654321', contact: { name: 'Pat Partner', email: 'pat@fabrikam.org' } },
        customer: { contact: { name: 'Chris C.', email: 'chris@contoso.com' } },
        products: [{ family: 'microsoft365', workload: 'Teams' }],
      });
      // The review clock keeps running through an edit.
      expect(allowed.deadlines).toEqual(claim.deadlines);

      const before = await footprint(api, alice, claim.id);
      const name = await api.request('PATCH', `/v1/claims/${claim.id}`, {
        token: alice,
        body: { name: 'Renamed' },
      });
      expect(name.status).toBe(409);
      const problem = problemOf(name);
      expect(problem).toMatchObject({ claimStatus: 'submitted', fields: ['name'] });
      expect(problem.detail).toContain("'name'");
      expect(problem.detail).toContain("'submitted'");

      const several = await api.request('PATCH', `/v1/claims/${claim.id}`, {
        token: alice,
        body: {
          customer: { tenantId: '11111111-2222-4333-8444-555555555555' },
          activity: 'revenueAssociation',
        },
      });
      expect(several.status).toBe(409);
      expect(problemOf(several).fields).toEqual(['customer.tenantId', 'activity']);
      expect(await footprint(api, alice, claim.id)).toEqual(before);
    });

    it('request-info → partnerActionRequired (partnerResponseBy); the partner edits, then resubmits → underReview', async () => {
      const claim = await aliceIn('underReview');
      const asked = await must(api, rita, claim.id, 'request-info', {
        reasons: ['missingOrOldDates', 'missingProducts'],
        comment: 'Please add the dates and the products.',
      });
      expect(asked).toMatchObject({
        status: 'partnerActionRequired',
        infoRequest: {
          reasons: ['missingOrOldDates', 'missingProducts'],
          comment: 'Please add the dates and the products.',
          at: api.clock.now().toISOString(),
        },
      });
      expect(asked.deadlines).toEqual({ partnerResponseBy: businessDays(5) });

      const edited = claimOf(
        await api.request('PATCH', `/v1/claims/${claim.id}`, {
          token: cast.andy,
          headers: { 'if-match': `"${asked.version}"` },
          body: { products: [{ family: 'businessApplications', workload: 'Dynamics 365 Field Service' }] },
        }),
      );
      expect(edited.deadlines).toEqual(asked.deadlines);
      const refused = await api.request('PATCH', `/v1/claims/${claim.id}`, {
        token: alice,
        body: { customer: { domain: 'contoso.net' } },
      });
      expect(refused.status).toBe(409);
      expect(problemOf(refused)).toMatchObject({
        claimStatus: 'partnerActionRequired',
        fields: ['customer.domain'],
      });

      api.clock.advanceDays(2);
      const resubmitted = await must(api, alice, claim.id, 'submit');
      expect(resubmitted).toMatchObject({ status: 'underReview', version: edited.version + 1 });
      expect(resubmitted.deadlines).toEqual({ decisionBy: businessDays(5) });
      // `submittedAt` is the first submission; the queue position is `statusSince`.
      expect(resubmitted.submittedAt).toBe(claim.submittedAt);
    });

    it('approve → approved, consent pending until consentEndsAt (7 calendar days)', async () => {
      const claim = await aliceIn('underReview');
      const approved = await must(api, rita, claim.id, 'approve');
      expect(approved.status).toBe('approved');
      expect(approved.deadlines).toEqual({ consentEndsAt: calendarDays(7) });
      expect(approved.consent).toEqual({ status: 'pending', endsAt: calendarDays(7) });
    });

    it('reject → rejected (disputeBy in 30 days) → dispute → disputed (decisionBy) → overturned → approved', async () => {
      const claim = await aliceIn('underReview');
      const rejected = await must(api, rita, claim.id, 'reject', {
        reason: 'missingCustomerConsent',
        comment: 'No customer acknowledgment.',
      });
      expect(rejected).toMatchObject({
        status: 'rejected',
        rejection: {
          reason: 'missingCustomerConsent',
          comment: 'No customer acknowledgment.',
          at: api.clock.now().toISOString(),
          final: false,
        },
      });
      expect(rejected.deadlines).toEqual({ disputeBy: calendarDays(30) });

      api.clock.advanceDays(10);
      const evidence = await seedAvailableDocument(api, claim.id);
      const disputed = await must(api, alice, claim.id, 'dispute', {
        justification: 'The customer signed the acknowledgment; see the new document.',
        documentIds: [evidence],
      });
      expect(disputed).toMatchObject({
        status: 'disputed',
        dispute: {
          justification: 'The customer signed the acknowledgment; see the new document.',
          documentIds: [evidence],
          openedAt: api.clock.now().toISOString(),
        },
      });
      expect(disputed.deadlines).toEqual({ decisionBy: businessDays(5) });

      const overturned = await must(api, rita, claim.id, 'resolve-dispute', {
        outcome: 'overturned',
        comment: 'The acknowledgment is there.',
      });
      expect(overturned).toMatchObject({
        status: 'approved',
        consent: { status: 'pending', endsAt: calendarDays(7) },
        dispute: { outcome: 'overturned' },
      });
      expect(overturned.rejection).toBeUndefined();
      expect(overturned.deadlines).toEqual({ consentEndsAt: calendarDays(7) });
    });

    it('a dispute needs only documentIds or only a justification; upheld → rejected and final, no more disputes', async () => {
      const claim = await aliceIn('rejected');
      const evidence = await seedAvailableDocument(api, claim.id);
      const disputed = await must(api, alice, claim.id, 'dispute', { documentIds: [evidence] });
      expect(disputed.dispute).toMatchObject({ documentIds: [evidence] });

      const upheld = await must(api, rita, claim.id, 'resolve-dispute', {
        outcome: 'upheld',
        comment: 'Still no proof of the product.',
      });
      expect(upheld).toMatchObject({
        status: 'rejected',
        rejection: { reason: 'insufficientPoe', final: true },
        dispute: { outcome: 'upheld' },
        deadlines: {},
      });
      const again = await act(api, alice, claim.id, 'dispute');
      expect(again.status).toBe(409);
      expect(problemOf(again)).toMatchObject({ claimStatus: 'rejected' });
    });

    const withdrawable: Status[] = [
      'editing',
      'submitted',
      'underReview',
      'partnerActionRequired',
      'approved',
      'disputed',
    ];
    it.each(withdrawable)(
      'withdraw from %s → rejected (partnerRequest), final and not disputable',
      async (status) => {
        const claim = await aliceIn(status);
        const withdrawn = await must(api, alice, claim.id, 'withdraw', {
          comment: 'No longer working with them.',
        });
        expect(withdrawn).toMatchObject({
          status: 'rejected',
          version: claim.version + 1,
          rejection: { reason: 'partnerRequest', comment: 'No longer working with them.', final: true },
          deadlines: {},
        });
        expect(withdrawn.consent).toBeUndefined();
        const dispute = await act(api, alice, claim.id, 'dispute');
        expect(dispute.status).toBe(409);
        expect(problemOf(dispute)).toMatchObject({
          claimStatus: 'rejected',
          type: expect.stringMatching(/rejection-not-disputable$/),
        });
        const again = await act(api, alice, claim.id, 'withdraw');
        expect(again.status).toBe(409);
        expect(problemOf(again).claimStatus).toBe('rejected');
      },
    );

    it('the dispute window closes after 30 days: day 29 is a dispute, day 31 a 409', async () => {
      const early = await aliceIn('rejected');
      const late = await aliceIn('rejected');
      api.clock.advanceDays(29);
      expect((await must(api, alice, early.id, 'dispute')).status).toBe('disputed');
      api.clock.advanceDays(2);
      const before = await footprint(api, alice, late.id);
      const refused = await act(api, alice, late.id, 'dispute');
      expect(refused.status).toBe(409);
      expect(problemOf(refused)).toMatchObject({
        claimStatus: 'rejected',
        type: expect.stringMatching(/dispute-window-closed$/),
      });
      expect(await footprint(api, alice, late.id)).toEqual(before);
    });
  });

  describe('refusals', () => {
    /** Which actions design.md's lifecycle table allows in each status (`edit` is PATCH). */
    const ALLOWED: Record<Status, readonly (ActionPath | 'edit')[]> = {
      editing: ['edit', 'submit', 'withdraw'],
      submitted: ['edit', 'start-review', 'withdraw'],
      underReview: ['request-info', 'approve', 'reject', 'withdraw'],
      partnerActionRequired: ['edit', 'submit', 'withdraw'],
      approved: ['withdraw'],
      rejected: ['dispute'],
      disputed: ['resolve-dispute', 'withdraw'],
    };
    const REVIEWER_ACTIONS: readonly ActionPath[] = [
      'start-review',
      'request-info',
      'approve',
      'reject',
      'resolve-dispute',
    ];
    const ALL_ACTIONS = Object.keys(ACTION_BODIES) as ActionPath[];

    it.each(Object.keys(ALLOWED) as Status[])(
      'in %s every action the table does not allow is a 409 problem naming the status, and writes nothing',
      async (status) => {
        const claim = await aliceIn(status);
        const before = await footprint(api, alice, claim.id);
        const refused = [...ALL_ACTIONS, 'edit' as const].filter((a) => !ALLOWED[status].includes(a));
        expect(refused.length).toBeGreaterThan(0);
        for (const action of refused) {
          const token = REVIEWER_ACTIONS.includes(action as ActionPath) ? rita : alice;
          const response =
            action === 'edit'
              ? await api.request('PATCH', `/v1/claims/${claim.id}`, {
                  token,
                  body: { partner: { mpnId: '7654321' } },
                })
              : await act(api, token, claim.id, action);
          expect(response.status, `${action} in ${status}: ${response.text}`).toBe(409);
          const problem = problemOf(response);
          expect(problem.claimStatus, action).toBe(status);
          expect(problem.detail, action).toContain(status);
        }
        expect(await footprint(api, alice, claim.id)).toEqual(before);
      },
    );

    it('403: partners cannot take reviewer actions, reviewers cannot take partner actions', async () => {
      const forReviewer = await aliceIn('underReview');
      const disputed = await aliceIn('disputed');
      const submitted = await aliceIn('submitted');
      const before = await Promise.all(
        [forReviewer, disputed, submitted].map((c) => footprint(api, alice, c.id)),
      );
      const attempts: [string, ClaimView, ActionPath][] = [
        [alice, submitted, 'start-review'],
        [alice, forReviewer, 'request-info'],
        [alice, forReviewer, 'approve'],
        [cast.andy, forReviewer, 'reject'],
        [alice, disputed, 'resolve-dispute'],
        [rita, submitted, 'withdraw'],
        [rita, forReviewer, 'withdraw'],
        [rita, disputed, 'withdraw'],
      ];
      for (const [token, claim, action] of attempts) {
        const response = await act(api, token, claim.id, action);
        expect(response.status, `${action}: ${response.text}`).toBe(403);
        problemOf(response);
      }
      const editing = await aliceIn('editing');
      await seedAvailableDocument(api, editing.id);
      const editingBefore = await footprint(api, alice, editing.id);
      expect((await act(api, rita, editing.id, 'submit')).status).toBe(403);
      const patch = await api.request('PATCH', `/v1/claims/${editing.id}`, {
        token: rita,
        body: { name: 'x' },
      });
      expect(patch.status).toBe(403);
      expect((await api.request('POST', '/v1/claims', { token: rita, body: {} })).status).toBe(403);
      const rejected = await aliceIn('rejected');
      expect((await act(api, rita, rejected.id, 'dispute')).status).toBe(403);

      expect(await footprint(api, alice, editing.id)).toEqual(editingBefore);
      expect(
        await Promise.all([forReviewer, disputed, submitted].map((c) => footprint(api, alice, c.id))),
      ).toEqual(before);
    });

    it("404 on every claim route for another partner's claim, exactly like a claim that does not exist", async () => {
      const claims = Object.fromEntries(
        await Promise.all(
          (['editing', 'submitted', 'underReview', 'rejected', 'disputed'] as const).map(
            async (s) => [s, await aliceIn(s)] as const,
          ),
        ),
      ) as Record<'editing' | 'submitted' | 'underReview' | 'rejected' | 'disputed', ClaimView>;
      const missing = '00000000-0000-4000-8000-000000000000';
      // Each route on a claim in a status where the action would be allowed for its owner.
      const requests: { method: string; path: string; id: string; body?: unknown }[] = [
        { method: 'GET', path: '', id: claims.editing.id },
        { method: 'PATCH', path: '', id: claims.editing.id, body: { name: 'Mine now' } },
        { method: 'POST', path: '/submit', id: claims.editing.id, body: {} },
        { method: 'POST', path: '/withdraw', id: claims.submitted.id, body: {} },
        { method: 'POST', path: '/comments', id: claims.submitted.id, body: { text: 'Hello?' } },
        { method: 'GET', path: '/comments', id: claims.submitted.id },
        { method: 'GET', path: '/history', id: claims.submitted.id },
        { method: 'POST', path: '/dispute', id: claims.rejected.id, body: ACTION_BODIES.dispute },
        { method: 'POST', path: '/start-review', id: claims.submitted.id, body: {} },
        {
          method: 'POST',
          path: '/request-info',
          id: claims.underReview.id,
          body: ACTION_BODIES['request-info'],
        },
        { method: 'POST', path: '/approve', id: claims.underReview.id, body: {} },
        { method: 'POST', path: '/reject', id: claims.underReview.id, body: ACTION_BODIES.reject },
        {
          method: 'POST',
          path: '/resolve-dispute',
          id: claims.disputed.id,
          body: ACTION_BODIES['resolve-dispute'],
        },
      ];
      // Every claim route of the route table is here (documents routes have tests of their own).
      const covered = new Set(requests.map((r) => `${r.method} /v1/claims/{id}${r.path}`));
      const claimRoutes = ROUTES.filter(
        (r) => r.path.startsWith('/v1/claims/{id}') && !r.path.includes('/documents'),
      ).map((r) => `${r.method} ${r.path}`);
      expect([...covered].sort()).toEqual([...claimRoutes].sort());

      const before = await Promise.all(Object.values(claims).map((c) => footprint(api, alice, c.id)));
      for (const request of requests) {
        const label = `${request.method} …${request.path}`;
        const hidden = await api.request(request.method, `/v1/claims/${request.id}${request.path}`, {
          token: bob,
          ...(request.body !== undefined && { body: request.body }),
        });
        expect(hidden.status, `${label}: ${hidden.text}`).toBe(404);
        const absent = await api.request(request.method, `/v1/claims/${missing}${request.path}`, {
          token: bob,
          ...(request.body !== undefined && { body: request.body }),
        });
        expect(absent.status, label).toBe(404);
        const { detail: _h, ...hiddenProblem } = problemOf(hidden);
        const { detail: _a, ...absentProblem } = problemOf(absent);
        expect(hiddenProblem, label).toEqual(absentProblem);
        expect(hidden.text, label).not.toContain('partner-a');
      }
      expect(await Promise.all(Object.values(claims).map((c) => footprint(api, alice, c.id)))).toEqual(
        before,
      );
    });

    it('412 for a stale If-Match on PATCH and on every action, with the current version; `*` and a fresh ETag pass', async () => {
      const submitted = await aliceIn('submitted');
      const underReview = await aliceIn('underReview');
      const rejected = await aliceIn('rejected');
      const disputed = await aliceIn('disputed');
      const stale = (claim: ClaimView) => ({ 'if-match': `"${claim.version - 1}"` });
      const attempts: [string, ClaimView, ActionPath | 'edit'][] = [
        [alice, submitted, 'edit'],
        [alice, submitted, 'withdraw'],
        [rita, submitted, 'start-review'],
        [rita, underReview, 'request-info'],
        [rita, underReview, 'approve'],
        [rita, underReview, 'reject'],
        [alice, rejected, 'dispute'],
        [rita, disputed, 'resolve-dispute'],
      ];
      const claims = [submitted, underReview, rejected, disputed];
      const before = await Promise.all(claims.map((c) => footprint(api, alice, c.id)));
      for (const [token, claim, action] of attempts) {
        const response =
          action === 'edit'
            ? await api.request('PATCH', `/v1/claims/${claim.id}`, {
                token,
                headers: stale(claim),
                body: { products: [{ family: 'microsoft365', workload: 'Teams' }] },
              })
            : await act(api, token, claim.id, action, ACTION_BODIES[action], stale(claim));
        expect(response.status, `${action}: ${response.text}`).toBe(412);
        expect(problemOf(response).currentVersion).toBe(claim.version);
      }
      // So does a comment, when the caller sends If-Match.
      const staleComment = await api.request('POST', `/v1/claims/${submitted.id}/comments`, {
        token: alice,
        headers: stale(submitted),
        body: { text: 'Written against an old version.' },
      });
      expect(staleComment.status).toBe(412);
      expect(problemOf(staleComment).currentVersion).toBe(submitted.version);
      // Resubmitting from partnerActionRequired honours If-Match too.
      const asked = await aliceIn('partnerActionRequired');
      const resubmit = await act(api, alice, asked.id, 'submit', {}, { 'if-match': '"1"' });
      expect(resubmit.status).toBe(412);
      expect(await Promise.all(claims.map((c) => footprint(api, alice, c.id)))).toEqual(before);

      // If-Match compares strongly (RFC 9110): a weak tag never matches, even the current version's.
      const weak = await act(
        api,
        rita,
        submitted.id,
        'start-review',
        {},
        { 'if-match': `W/"${submitted.version}"` },
      );
      expect(weak.status).toBe(412);
      const strong = claimOf(
        await act(api, rita, submitted.id, 'start-review', {}, { 'if-match': `"${submitted.version}"` }),
      );
      expect(strong.status).toBe('underReview');
      const fresh = await api.request('POST', `/v1/claims/${underReview.id}/comments`, {
        token: rita,
        headers: { 'if-match': `"${underReview.version}"` },
        body: { text: 'Approving now.' },
      });
      expect(fresh.status).toBe(201);
      const any = claimOf(await act(api, rita, underReview.id, 'approve', {}, { 'if-match': '*' }));
      expect(any.status).toBe('approved');
      const malformed = await act(api, rita, rejected.id, 'dispute', ACTION_BODIES.dispute, {
        'if-match': 'v3',
      });
      expect(malformed.status).toBe(400);
      expect(problemOf(malformed).errors?.map((e) => e.field)).toEqual(['If-Match']);
    });

    it('400 for bad bodies anywhere, naming each field, and nothing is written', async () => {
      const editing = await aliceIn('editing');
      await seedAvailableDocument(api, editing.id);
      const underReview = await aliceIn('underReview');
      const rejected = await aliceIn('rejected');
      const disputed = await aliceIn('disputed');
      const cases: {
        token: string;
        claim: ClaimView;
        method: string;
        path: string;
        body?: unknown;
        raw?: string;
        fields: string[];
      }[] = [
        { token: alice, claim: editing, method: 'PATCH', path: '', body: { name: null }, fields: ['name'] },
        {
          token: alice,
          claim: editing,
          method: 'PATCH',
          path: '',
          body: { nickname: 'x' },
          fields: ['nickname'],
        },
        {
          token: alice,
          claim: editing,
          method: 'PATCH',
          path: '',
          body: { products: [] },
          fields: ['products'],
        },
        {
          token: alice,
          claim: editing,
          method: 'PATCH',
          path: '',
          body: { partner: { mpnId: '12' }, customer: { contact: { email: 'nope' } } },
          fields: ['customer.contact.email', 'partner.mpnId'],
        },
        { token: alice, claim: editing, method: 'PATCH', path: '', body: {}, fields: ['(body)'] },
        { token: alice, claim: editing, method: 'PATCH', path: '', raw: '{"name":', fields: ['(body)'] },
        {
          token: alice,
          claim: editing,
          method: 'POST',
          path: '/submit',
          body: { comment: '' },
          fields: ['comment'],
        },
        {
          token: alice,
          claim: editing,
          method: 'POST',
          path: '/submit',
          body: { force: true },
          fields: ['force'],
        },
        {
          token: alice,
          claim: editing,
          method: 'POST',
          path: '/withdraw',
          body: { comment: 42 },
          fields: ['comment'],
        },
        {
          token: alice,
          claim: editing,
          method: 'POST',
          path: '/comments',
          body: { text: '   ' },
          fields: ['text'],
        },
        { token: alice, claim: editing, method: 'POST', path: '/comments', body: {}, fields: ['text'] },
        {
          token: rita,
          claim: underReview,
          method: 'POST',
          path: '/request-info',
          body: { reasons: [], comment: 'x' },
          fields: ['reasons'],
        },
        {
          token: rita,
          claim: underReview,
          method: 'POST',
          path: '/request-info',
          body: { reasons: ['missingAllPoe', 'bored'] },
          fields: ['comment', 'reasons.1'],
        },
        {
          token: rita,
          claim: underReview,
          method: 'POST',
          path: '/reject',
          body: { reason: 'partnerRequest', comment: 'x' },
          fields: ['reason'],
        },
        {
          token: rita,
          claim: underReview,
          method: 'POST',
          path: '/reject',
          body: {},
          fields: ['comment', 'reason'],
        },
        {
          token: rita,
          claim: underReview,
          method: 'POST',
          path: '/approve',
          body: { comment: 'ok', grade: 'A' },
          fields: ['grade'],
        },
        {
          token: alice,
          claim: rejected,
          method: 'POST',
          path: '/dispute',
          body: {},
          fields: ['justification'],
        },
        {
          token: alice,
          claim: rejected,
          method: 'POST',
          path: '/dispute',
          body: { documentIds: ['not-a-uuid'] },
          fields: ['documentIds.0'],
        },
        {
          token: rita,
          claim: disputed,
          method: 'POST',
          path: '/resolve-dispute',
          body: { outcome: 'maybe', comment: 'x' },
          fields: ['outcome'],
        },
      ];
      const claims = [editing, underReview, rejected, disputed];
      const before = await Promise.all(claims.map((c) => footprint(api, alice, c.id)));
      for (const c of cases) {
        const label = `${c.method} …${c.path} ${c.raw ?? JSON.stringify(c.body)}`;
        const response = await api.request(c.method, `/v1/claims/${c.claim.id}${c.path}`, {
          token: c.token,
          ...(c.raw !== undefined ? { rawBody: c.raw } : { body: c.body }),
        });
        expect(response.status, `${label}: ${response.text}`).toBe(400);
        const fields = (problemOf(response).errors ?? []).map((e) => e.field).sort();
        expect(fields, label).toEqual(c.fields);
      }
      expect(await Promise.all(claims.map((c) => footprint(api, alice, c.id)))).toEqual(before);
    });
  });
});
