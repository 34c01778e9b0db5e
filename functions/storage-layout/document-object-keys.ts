/**
 * The key layout of the PoE bucket, shared by the S3 adapter, the upload verifier and CDK
 * (lifecycle rules, the event filter, the per-prefix grants), as `table-schema.ts` is for the
 * table. Pure: no SDK import, so infra can read it.
 *
 * Partners upload to `uploads/<objectKey>`; only the verifier copies a verified upload to
 * `<objectKey>` (`claims/<claimId>/documents/<docId>`) and deletes the upload. So a presigned
 * POST, which S3 accepts again and again until it expires, can never overwrite a document
 * after it was verified, and every object under `claims/` passed verification.
 */

/** Where presigned POSTs put files; nothing here is ever served. */
export const UPLOAD_PREFIX = 'uploads/';
/** Where verified documents live (`documentObjectKey`); the only prefix downloads read. */
export const DOCUMENT_PREFIX = 'claims/';
/**
 * An upload is verified within seconds (minutes with a malware scan); one still there after
 * this many days was abandoned (a failed verification) and is removed by a lifecycle rule.
 */
export const ABANDONED_UPLOAD_DAYS = 2;

/**
 * The object tag that puts a verified document under the final-claim retention (the PoE
 * bucket's `final-claims` lifecycle rule filters on it): set on every object of a claim when
 * the claim becomes final.
 */
export const FINAL_CLAIM_TAG = { key: 'claim-state', value: 'final' } as const;

/** Where the verified documents of one claim live (`<DOCUMENT_PREFIX><claimId>/documents/`). */
export function claimDocumentsPrefix(claimId: string): string {
  return `${DOCUMENT_PREFIX}${claimId}/documents/`;
}

/** The staging key a partner uploads the document of `objectKey` to. */
export function uploadKeyOf(objectKey: string): string {
  return `${UPLOAD_PREFIX}${objectKey}`;
}

const UPLOAD_KEY = /^uploads\/claims\/([0-9A-Za-z-]{1,64})\/documents\/([0-9A-Za-z-]{1,64})$/;

/** The claim and document an upload key belongs to, or `undefined` for any other key. */
export function parseUploadKey(key: string): { claimId: string; documentId: string } | undefined {
  const match = UPLOAD_KEY.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  return { claimId: match[1], documentId: match[2] };
}

/** S3 event notifications carry keys form-encoded (`+` for a space, `%XX` otherwise). */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}
