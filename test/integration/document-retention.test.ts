/**
 * Final claims' documents pass to their retention (issue 16, item 6): the relay's
 * `retainDocuments` effect tags every verified object of the claim with `FINAL_CLAIM_TAG`, the
 * tag the PoE bucket's `final-claims` lifecycle rule filters on (test/infra/documents-infra.test.ts).
 * s3rver stores tags as S3 does; it runs no lifecycle rules, so only the tagging is seen here.
 */
import { GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3DocumentRetention } from '../../functions/adapters/s3-document-objects.js';
import { documentObjectKey } from '../../functions/domain/document.js';
import { FINAL_CLAIM_TAG } from '../../functions/storage-layout/document-object-keys.js';
import { relayOutboxEvent } from '../../functions/use-cases/relay-outbox.js';
import { createS3Client } from '../../functions/wiring.js';
import { type LocalS3, startLocalS3 } from '../../infra/local/s3-local.js';
import { approvedClaim } from '../support/approved-claim.js';

describe('final-claim retention of PoE objects (s3rver)', () => {
  let s3: LocalS3;
  let client: ReturnType<typeof createS3Client>;

  beforeAll(async () => {
    s3 = await startLocalS3({ bucketName: 'retention-test' });
    client = createS3Client({ s3Endpoint: s3.endpoint });
  });
  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  const put = (key: string) =>
    client.send(new PutObjectCommand({ Bucket: s3.bucketName, Key: key, Body: 'PoE' }));
  const tagsOf = async (key: string) =>
    (await client.send(new GetObjectTaggingCommand({ Bucket: s3.bucketName, Key: key }))).TagSet ?? [];

  it('tags every verified document of the final claim, and nothing of another claim or an upload', async () => {
    const mine = [documentObjectKey('final-1', 'd1'), documentObjectKey('final-1', 'd2')];
    const other = documentObjectKey('final-10', 'd1'); // shares the id's prefix, not the claim
    const upload = `uploads/${documentObjectKey('final-1', 'd3')}`;
    for (const key of [...mine, other, upload]) await put(key);

    const unused = () => {
      throw new Error('only the retention effect is relayed');
    };
    const event = {
      eventId: 'e-final-1',
      claimId: 'final-1',
      version: 9,
      at: '2026-12-01T12:00:00.000Z',
      effects: [{ type: 'retainDocuments' as const }],
      claim: { ...approvedClaim, id: 'final-1' },
    };
    const deps = {
      timers: { start: unused, stop: unused },
      documents: new S3DocumentRetention(client, s3.bucketName),
      mailer: { send: unused },
      ledger: { acquire: unused, markSent: unused, release: unused },
      publisher: { publish: unused },
      consentLinks: { linkFor: unused },
      emailSettings: { portalUrl: 'https://partners.example.com', timeZone: 'America/Los_Angeles' },
    };
    await relayOutboxEvent(deps, event);
    await relayOutboxEvent(deps, event); // redelivered: the same tags

    const finalTag = [{ Key: FINAL_CLAIM_TAG.key, Value: FINAL_CLAIM_TAG.value }];
    for (const key of mine) expect(await tagsOf(key), key).toEqual(finalTag);
    expect(await tagsOf(other)).toEqual([]);
    expect(await tagsOf(upload)).toEqual([]);
  });
});
