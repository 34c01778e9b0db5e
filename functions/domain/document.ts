/**
 * Proof of Execution documents: what may be uploaded, and the verdict on an upload. Pure:
 * the bytes are inspected by an adapter, which passes what it observed.
 */
import { DomainError, InvalidClaimInputError } from './errors.js';

export const DOCUMENT_STATUSES = ['pendingUpload', 'available', 'rejected'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export interface ClaimDocument {
  id: string;
  claimId: string;
  /** The partner's file name: shown and used for the download's name, never for the storage key. */
  fileName: string;
  contentType: string;
  /** Declared size in bytes; the upload must match it exactly. */
  size: number;
  status: DocumentStatus;
  /** The storage key the service chose, under the claim's prefix. */
  objectKey: string;
  createdAt: string;
  createdBy: string;
  /** Until when the presigned upload may be used. */
  uploadExpiresAt: string;
  verifiedAt?: string;
  rejection?: { reason: DocumentRejectionReason; detail: string; at: string };
}

export const DOCUMENT_REJECTION_REASONS = [
  'sizeMismatch',
  'tooLarge',
  'typeMismatch',
  'malwareDetected',
  /** GuardDuty could not scan the object (unsupported, access denied, failed): fail closed. */
  'malwareScanFailed',
  'missing',
  /** A DOCX/XLSX whose ZIP entries would expand past `ARCHIVE_LIMITS` (a "zip bomb"). */
  'archiveTooLarge',
] as const;
export type DocumentRejectionReason = (typeof DOCUMENT_REJECTION_REASONS)[number];

/** The verdict on an uploaded object. */
export type UploadVerdict =
  | { status: 'available' }
  | { status: 'rejected'; reason: DocumentRejectionReason; detail: string };

/**
 * The PoE file types the service can verify from their bytes. `detectedAs` lists the types a
 * content sniffer may report for a genuine file: Outlook `.msg` files are Compound File Binary
 * containers, which sniffers report as `application/x-cfb` (so an old `.doc` renamed `.msg`
 * passes as well: the container, not the application, is what the bytes prove); `.eml` is
 * plain text and is recognised by its RFC 5322 header block. The macro-enabled Office types
 * (`.docm`, `.xlsm`) are sniffed as such and therefore never pass as DOCX/XLSX.
 */
export const DOCUMENT_TYPES = {
  'application/pdf': { name: 'PDF', extensions: ['pdf'], detectedAs: ['application/pdf'] },
  'image/png': { name: 'PNG', extensions: ['png'], detectedAs: ['image/png'] },
  'image/jpeg': { name: 'JPEG', extensions: ['jpg', 'jpeg'], detectedAs: ['image/jpeg'] },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    name: 'DOCX',
    extensions: ['docx'],
    archive: true,
    detectedAs: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    name: 'XLSX',
    extensions: ['xlsx'],
    archive: true,
    detectedAs: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  },
  'application/vnd.ms-outlook': {
    name: 'MSG',
    extensions: ['msg'],
    detectedAs: ['application/vnd.ms-outlook', 'application/x-cfb'],
  },
  'message/rfc822': { name: 'EML', extensions: ['eml'], detectedAs: ['message/rfc822'] },
} as const satisfies Record<
  string,
  { name: string; extensions: readonly string[]; detectedAs: readonly string[]; archive?: true }
>;
export type DocumentContentType = keyof typeof DOCUMENT_TYPES;
export const DOCUMENT_CONTENT_TYPES = Object.keys(DOCUMENT_TYPES) as DocumentContentType[];

export function isDocumentContentType(value: string): value is DocumentContentType {
  return Object.hasOwn(DOCUMENT_TYPES, value);
}

/** What may be uploaded and how long the presigned URLs live. Configuration, per deployment. */
export interface DocumentPolicy {
  allowedContentTypes: readonly DocumentContentType[];
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Documents per claim, counting pending and rejected ones (each took an upload slot). */
  maxPerClaim: number;
  /** Lifetime of a presigned POST: long enough for 25 MB on a slow line, short enough to not linger. */
  uploadUrlTtlSeconds: number;
  /** Lifetime of a presigned GET: the reviewer's browser follows it at once. */
  downloadUrlTtlSeconds: number;
}

export const MEBIBYTE = 1024 * 1024;

/**
 * The largest `maxBytes` a deployment may set: the verifier holds an upload in memory while
 * it checks it and writes those very bytes (see `functions/use-cases/verify-upload.ts`), and
 * its 1,024 MB leave room for about twice this.
 */
export const MAX_VERIFIABLE_BYTES = 256 * MEBIBYTE;

export const DEFAULT_DOCUMENT_POLICY: DocumentPolicy = Object.freeze({
  allowedContentTypes: Object.freeze([...DOCUMENT_CONTENT_TYPES]),
  maxBytes: 25 * MEBIBYTE,
  maxPerClaim: 50,
  uploadUrlTtlSeconds: 15 * 60,
  downloadUrlTtlSeconds: 5 * 60,
});

/**
 * The default policy with `overrides` applied and checked, so a bad deployment setting fails
 * at cold start instead of at the first upload.
 *
 * @throws RangeError naming the bad setting.
 */
export function documentPolicy(overrides: Partial<DocumentPolicy> = {}): DocumentPolicy {
  const policy = { ...DEFAULT_DOCUMENT_POLICY, ...stripUndefined(overrides) };
  const unknown = policy.allowedContentTypes.filter((type) => !isDocumentContentType(type));
  if (policy.allowedContentTypes.length === 0 || unknown.length > 0) {
    throw new RangeError(
      `allowedContentTypes must name at least one of ${DOCUMENT_CONTENT_TYPES.join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}.`,
    );
  }
  for (const [name, value, max] of [
    ['maxBytes', policy.maxBytes, MAX_VERIFIABLE_BYTES],
    ['maxPerClaim', policy.maxPerClaim, 1000],
    ['uploadUrlTtlSeconds', policy.uploadUrlTtlSeconds, 7 * 86_400],
    ['downloadUrlTtlSeconds', policy.downloadUrlTtlSeconds, 7 * 86_400],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new RangeError(`${name} must be a whole number from 1 to ${max}, got ${value}.`);
    }
  }
  return Object.freeze({ ...policy, allowedContentTypes: Object.freeze([...policy.allowedContentTypes]) });
}

/** What the partner declares before uploading. */
export interface DocumentDeclaration {
  fileName: string;
  contentType: string;
  size: number;
}

/**
 * Refuses a declaration the policy does not allow, before any upload URL exists: a type
 * outside the policy, a file name whose extension is not one of that type's (the download
 * keeps the name, so `report.exe` must not arrive as a verified PDF), or a size over the limit.
 */
export function assertDocumentDeclaration(policy: DocumentPolicy, declaration: DocumentDeclaration): void {
  const { contentType, fileName, size } = declaration;
  if (!isDocumentContentType(contentType) || !policy.allowedContentTypes.includes(contentType)) {
    const allowed = policy.allowedContentTypes.map((t) => `${t} (${DOCUMENT_TYPES[t].name})`).join(', ');
    throw new InvalidClaimInputError('contentType', `must be one of ${allowed}`);
  }
  const extensions: readonly string[] = DOCUMENT_TYPES[contentType].extensions;
  const extension = /\.([^.]+)$/.exec(fileName)?.[1]?.toLowerCase();
  if (!extension || !extensions.includes(extension)) {
    throw new InvalidClaimInputError(
      'fileName',
      `must end with ${extensions.map((e) => `.${e}`).join(' or ')} for ${contentType}`,
    );
  }
  if (size > policy.maxBytes) throw new DocumentTooLargeError(size, policy.maxBytes);
}

/** What the verifier observed about the stored object. */
export interface ObservedUpload {
  /** Actual size in bytes. */
  size: number;
  /** The media type the content sniffer saw in the bytes, `undefined` when it recognised nothing. */
  detectedType: string | undefined;
  /**
   * For a ZIP-based type (DOCX, XLSX): what its central directory declares, or `'unreadable'`
   * when there is no valid one. Absent for other types (the verifier always measures archives).
   */
  archive?: ArchiveMeasure | 'unreadable';
}

/** What a ZIP archive's central directory declares about its entries (nothing inflated). */
export interface ArchiveMeasure {
  entries: number;
  /** The sum of the entries' declared uncompressed sizes. */
  uncompressedBytes: number;
}

/**
 * How far a DOCX/XLSX may expand. Real Office files expand 3–20× (XML compresses well);
 * a ZIP bomb expands thousands of times and takes down whatever opens it (a reviewer's
 * Office, an indexer, a converter). The ratio only applies beyond `ratioFloorBytes`, so a
 * small file of repetitive XML is never refused: a few MiB harm nobody.
 */
export const ARCHIVE_LIMITS = Object.freeze({
  maxUncompressedBytes: 200 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
});

/** Whether uploads of this declared type are ZIP archives whose expansion is checked. */
export function isArchiveType(contentType: string): boolean {
  return isDocumentContentType(contentType) && 'archive' in DOCUMENT_TYPES[contentType];
}

/**
 * The verdict on an upload from its actual size and sniffed type. S3 enforces the presigned
 * POST's conditions in the cloud, but nothing proves the bytes are what was declared: this
 * check does, and it is the only one when an emulator ignores the POST policy.
 */
export function verifyUpload(
  document: Pick<ClaimDocument, 'size' | 'contentType'>,
  observed: ObservedUpload,
  policy: Pick<DocumentPolicy, 'maxBytes'> = DEFAULT_DOCUMENT_POLICY,
): UploadVerdict {
  if (observed.size > policy.maxBytes) {
    return {
      status: 'rejected',
      reason: 'tooLarge',
      detail: `The file has ${observed.size} bytes; at most ${policy.maxBytes} are accepted.`,
    };
  }
  if (observed.size !== document.size) {
    return {
      status: 'rejected',
      reason: 'sizeMismatch',
      detail: `The file has ${observed.size} bytes, not the ${document.size} declared.`,
    };
  }
  const accepted: readonly string[] = isDocumentContentType(document.contentType)
    ? DOCUMENT_TYPES[document.contentType].detectedAs
    : [];
  if (observed.detectedType === undefined || !accepted.includes(observed.detectedType)) {
    return {
      status: 'rejected',
      reason: 'typeMismatch',
      detail: `The content is ${observed.detectedType ?? 'of no recognised type'}, not ${document.contentType} as declared.`,
    };
  }
  if (isArchiveType(document.contentType) && observed.archive !== undefined) {
    return archiveVerdict(observed.size, observed.archive);
  }
  return { status: 'available' };
}

/** The verdict on a ZIP-based upload from its central directory (see `ARCHIVE_LIMITS`). */
function archiveVerdict(size: number, archive: ArchiveMeasure | 'unreadable'): UploadVerdict {
  if (archive === 'unreadable') {
    return {
      status: 'rejected',
      reason: 'typeMismatch',
      detail: 'The content has no readable ZIP central directory, which every DOCX and XLSX file has.',
    };
  }
  const { maxUncompressedBytes, maxRatio, ratioFloorBytes } = ARCHIVE_LIMITS;
  const ratio = archive.uncompressedBytes / Math.max(size, 1);
  if (
    archive.uncompressedBytes > maxUncompressedBytes ||
    (archive.uncompressedBytes > ratioFloorBytes && ratio > maxRatio)
  ) {
    return {
      status: 'rejected',
      reason: 'archiveTooLarge',
      detail: `The archive's ${archive.entries} entries expand to ${archive.uncompressedBytes} bytes, ${Math.round(ratio)} times the file; at most ${maxUncompressedBytes} bytes and ${maxRatio} times are accepted.`,
    };
  }
  return { status: 'available' };
}

/** GuardDuty Malware Protection for S3 writes its result to this object tag. */
export const MALWARE_SCAN_STATUS_TAG = 'GuardDutyMalwareScanStatus';

/**
 * The verdict of a malware scan result (the `GuardDutyMalwareScanStatus` tag), or `undefined`
 * while the scan has not reported yet. Only a clean scan passes: a scan that could not run
 * (`UNSUPPORTED`, e.g. a password-protected file; `ACCESS_DENIED`; `FAILED`) fails closed.
 */
export function malwareScanVerdict(scanStatus: string | undefined): UploadVerdict | undefined {
  if (scanStatus === undefined) return undefined;
  if (scanStatus === 'NO_THREATS_FOUND') return { status: 'available' };
  if (scanStatus === 'THREATS_FOUND') {
    return { status: 'rejected', reason: 'malwareDetected', detail: 'The malware scan found a threat.' };
  }
  return {
    status: 'rejected',
    reason: 'malwareScanFailed',
    detail: `The file could not be scanned for malware (${scanStatus}).`,
  };
}

/**
 * Where a verified document is stored: under its claim's prefix, named by ids the service
 * chose. The partner's file name never shapes a key (no path tricks, no PII in keys).
 */
export function documentObjectKey(claimId: string, documentId: string): string {
  return `claims/${claimId}/documents/${documentId}`;
}

/** The declared size exceeds the policy's maximum. */
export class DocumentTooLargeError extends DomainError {
  override readonly name = 'DocumentTooLargeError';
  readonly kind = 'documentTooLarge';
  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`A document may have at most ${maxBytes} bytes; ${size} were declared.`);
  }

  override get facts() {
    return {
      maxBytes: this.maxBytes,
      errors: [{ field: 'size', reason: `must be at most ${this.maxBytes} bytes` }],
    };
  }
}

/** No such document on this claim. */
export class DocumentNotFoundError extends DomainError {
  override readonly name = 'DocumentNotFoundError';
  readonly kind = 'notFound';
  constructor(
    readonly claimId: string,
    readonly documentId: string,
  ) {
    super(`Document ${documentId} was not found on claim ${claimId}.`);
  }
}

/** Only verified (`available`) documents can be downloaded. */
export class DocumentNotAvailableError extends DomainError {
  override readonly name = 'DocumentNotAvailableError';
  readonly kind = 'conflict';
  constructor(
    readonly documentId: string,
    readonly documentStatus: DocumentStatus,
  ) {
    super(
      documentStatus === 'pendingUpload'
        ? `Document ${documentId} has not been uploaded and verified yet.`
        : `Document ${documentId} was rejected and cannot be downloaded.`,
      { code: 'documentNotAvailable' },
    );
  }

  override get facts() {
    return { documentStatus: this.documentStatus };
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
