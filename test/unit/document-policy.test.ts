import { describe, expect, it } from 'vitest';
import { documentPolicyOf, readConfig, verifyUploadEnvironment } from '../../functions/config.js';
import {
  ARCHIVE_LIMITS,
  assertDocumentDeclaration,
  DEFAULT_DOCUMENT_POLICY,
  DOCUMENT_CONTENT_TYPES,
  DocumentTooLargeError,
  documentObjectKey,
  documentPolicy,
  MEBIBYTE,
  malwareScanVerdict,
  verifyUpload,
} from '../../functions/domain/document.js';
import { InvalidClaimInputError } from '../../functions/domain/errors.js';

const PDF = 'application/pdf';
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

describe('the default document policy', () => {
  it('allows PDF, PNG, JPEG, DOCX, XLSX, MSG and EML up to 25 MB, 50 per claim', () => {
    expect([...DEFAULT_DOCUMENT_POLICY.allowedContentTypes].sort()).toEqual(
      [
        'application/pdf',
        'image/png',
        'image/jpeg',
        DOCX,
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'application/vnd.ms-outlook',
        'message/rfc822',
      ].sort(),
    );
    expect(DEFAULT_DOCUMENT_POLICY.maxBytes).toBe(25 * 1024 * 1024);
    expect(DEFAULT_DOCUMENT_POLICY.maxPerClaim).toBe(50);
    expect(DEFAULT_DOCUMENT_POLICY.uploadUrlTtlSeconds).toBe(900);
  });

  it('takes overrides and refuses unusable ones, naming the setting', () => {
    expect(documentPolicy({ maxBytes: MEBIBYTE, allowedContentTypes: [PDF] })).toMatchObject({
      maxBytes: MEBIBYTE,
      allowedContentTypes: [PDF],
      maxPerClaim: 50,
    });
    expect(documentPolicy({ maxPerClaim: undefined }).maxPerClaim).toBe(50);
    expect(() => documentPolicy({ allowedContentTypes: [] })).toThrow(/allowedContentTypes/);
    expect(() => documentPolicy({ allowedContentTypes: ['text/html' as typeof PDF] })).toThrow(
      /unknown: text\/html/,
    );
    expect(() => documentPolicy({ maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => documentPolicy({ maxPerClaim: 2.5 })).toThrow(/maxPerClaim/);
  });
});

describe('assertDocumentDeclaration', () => {
  const policy = DEFAULT_DOCUMENT_POLICY;
  const declare =
    (fileName: string, contentType: string, size = 1000) =>
    () =>
      assertDocumentDeclaration(policy, { fileName, contentType, size });

  it.each([
    ['poe.pdf', PDF],
    ['Scan.PDF', PDF],
    ['photo.jpeg', 'image/jpeg'],
    ['photo.JPG', 'image/jpeg'],
    ['Statement of work.docx', DOCX],
    ['mail.msg', 'application/vnd.ms-outlook'],
    ['mail.eml', 'message/rfc822'],
  ])('accepts %s as %s', (fileName, contentType) => {
    expect(declare(fileName, contentType)).not.toThrow();
  });

  it('refuses a type outside the policy with 400 semantics naming contentType', () => {
    const error = catchError(declare('page.html', 'text/html'));
    expect(error).toBeInstanceOf(InvalidClaimInputError);
    expect(error).toMatchObject({ field: 'contentType' });
    expect((error as Error).message).toContain('application/pdf (PDF)');
    // A type the deployment switched off is refused like an unknown one.
    const pdfOnly = documentPolicy({ allowedContentTypes: [PDF] });
    expect(() =>
      assertDocumentDeclaration(pdfOnly, { fileName: 'a.png', contentType: 'image/png', size: 1 }),
    ).toThrow(InvalidClaimInputError);
  });

  it.each([
    ['report.exe', PDF],
    ['report', PDF],
    ['report.pdf.exe', PDF],
    ['report.docm', DOCX],
    ['image.png', 'image/jpeg'],
  ])('refuses %s declared as %s: the extension must fit the type', (fileName, contentType) => {
    expect(catchError(declare(fileName, contentType))).toMatchObject({ field: 'fileName' });
  });

  it('refuses more than the maximum size, and accepts exactly the maximum', () => {
    expect(declare('big.pdf', PDF, policy.maxBytes)).not.toThrow();
    const error = catchError(declare('big.pdf', PDF, policy.maxBytes + 1));
    expect(error).toBeInstanceOf(DocumentTooLargeError);
    expect(error).toMatchObject({ size: policy.maxBytes + 1, maxBytes: policy.maxBytes });
  });
});

describe('verifyUpload', () => {
  const document = { size: 1234, contentType: PDF };

  it('makes a file of the declared size and sniffed type available', () => {
    expect(verifyUpload(document, { size: 1234, detectedType: PDF })).toEqual({ status: 'available' });
  });

  it('rejects a file whose size differs from the declared one, either way', () => {
    for (const size of [1233, 1235, 0]) {
      expect(verifyUpload(document, { size, detectedType: PDF })).toMatchObject({
        status: 'rejected',
        reason: 'sizeMismatch',
      });
    }
  });

  it('rejects a file over the maximum as tooLarge, before comparing with the declaration', () => {
    const verdict = verifyUpload(
      { size: 10, contentType: PDF },
      { size: 11, detectedType: PDF },
      { maxBytes: 10 },
    );
    expect(verdict).toMatchObject({ status: 'rejected', reason: 'tooLarge' });
  });

  it('rejects content of another type, or of no recognised type', () => {
    expect(verifyUpload(document, { size: 1234, detectedType: undefined })).toMatchObject({
      status: 'rejected',
      reason: 'typeMismatch',
      detail: expect.stringContaining('no recognised type'),
    });
    expect(verifyUpload(document, { size: 1234, detectedType: 'image/png' })).toMatchObject({
      reason: 'typeMismatch',
      detail: expect.stringContaining('image/png'),
    });
    const docx = { size: 10, contentType: DOCX };
    expect(verifyUpload(docx, { size: 10, detectedType: 'application/zip' })).toMatchObject({
      reason: 'typeMismatch',
    });
    expect(
      verifyUpload(docx, { size: 10, detectedType: 'application/vnd.ms-word.document.macroenabled.12' }),
    ).toMatchObject({ reason: 'typeMismatch' });
  });

  it('refuses a DOCX/XLSX that expands past 200 MiB or, beyond 1 MiB, past 100 times its size', () => {
    const docx = { size: 100_000, contentType: DOCX };
    const observed = (uncompressedBytes: number) => ({
      size: 100_000,
      detectedType: DOCX,
      archive: { entries: 3, uncompressedBytes },
    });
    expect(verifyUpload(docx, observed(2_000_000)).status).toBe('available');
    expect(verifyUpload(docx, observed(100_000 * ARCHIVE_LIMITS.maxRatio + 1))).toMatchObject({
      status: 'rejected',
      reason: 'archiveTooLarge',
      detail: expect.stringContaining('expand to 10000001 bytes'),
    });
    // A small file of repetitive XML: 500 times, but under 1 MiB in all.
    const small = { size: 2_000, contentType: DOCX };
    const smallObserved = {
      size: 2_000,
      detectedType: DOCX,
      archive: { entries: 2, uncompressedBytes: 1_000_000 },
    };
    expect(verifyUpload(small, smallObserved).status).toBe('available');
    const big = { size: 10 * MEBIBYTE, contentType: DOCX };
    const bigObserved = {
      size: 10 * MEBIBYTE,
      detectedType: DOCX,
      archive: { entries: 2, uncompressedBytes: ARCHIVE_LIMITS.maxUncompressedBytes + 1 },
    };
    expect(verifyUpload(big, bigObserved)).toMatchObject({ reason: 'archiveTooLarge' });
    expect(verifyUpload(docx, { size: 100_000, detectedType: DOCX, archive: 'unreadable' })).toMatchObject({
      reason: 'typeMismatch',
      detail: expect.stringContaining('central directory'),
    });
  });

  it('accepts an Outlook message sniffed as a CFB container, and an email recognised as such', () => {
    const msg = { size: 5, contentType: 'application/vnd.ms-outlook' };
    expect(verifyUpload(msg, { size: 5, detectedType: 'application/x-cfb' }).status).toBe('available');
    const eml = { size: 5, contentType: 'message/rfc822' };
    expect(verifyUpload(eml, { size: 5, detectedType: 'message/rfc822' }).status).toBe('available');
    expect(verifyUpload(eml, { size: 5, detectedType: undefined }).status).toBe('rejected');
  });

  it('never accepts a type the domain cannot verify, whatever was sniffed', () => {
    const html = { size: 5, contentType: 'text/html' };
    expect(verifyUpload(html, { size: 5, detectedType: 'text/html' }).status).toBe('rejected');
  });

  it.each(DOCUMENT_CONTENT_TYPES)('accepts %s when the sniffed type is its own', (contentType) => {
    const verdict = verifyUpload({ size: 1, contentType }, { size: 1, detectedType: contentType });
    expect(verdict.status).toBe('available');
  });
});

describe('malwareScanVerdict', () => {
  it('waits while there is no scan result, and passes only a clean one', () => {
    expect(malwareScanVerdict(undefined)).toBeUndefined();
    expect(malwareScanVerdict('NO_THREATS_FOUND')).toEqual({ status: 'available' });
    expect(malwareScanVerdict('THREATS_FOUND')).toMatchObject({
      status: 'rejected',
      reason: 'malwareDetected',
    });
  });

  it.each(['UNSUPPORTED', 'ACCESS_DENIED', 'FAILED', 'SOMETHING_NEW'])('fails closed on %s', (status) => {
    expect(malwareScanVerdict(status)).toMatchObject({
      status: 'rejected',
      reason: 'malwareScanFailed',
      detail: expect.stringContaining(status),
    });
  });
});

describe('documentObjectKey', () => {
  it('is chosen from ids under the claim prefix, never from the file name', () => {
    expect(documentObjectKey('c-1', 'd-2')).toBe('claims/c-1/documents/d-2');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('document settings from the environment', () => {
  const base = { TABLE_NAME: 't', DOCUMENTS_BUCKET_NAME: 'b' };

  it('reads the verifier configuration, with the policy defaults when unset', () => {
    const config = readConfig(verifyUploadEnvironment, base);
    expect(config.MALWARE_SCANNING).toBe(false);
    expect(documentPolicy(documentPolicyOf(config))).toEqual(DEFAULT_DOCUMENT_POLICY);
  });

  it('takes the stage policy as CDK passes it', () => {
    const config = readConfig(verifyUploadEnvironment, {
      ...base,
      MALWARE_SCANNING: 'true',
      DOCUMENT_ALLOWED_TYPES: 'application/pdf, image/png',
      DOCUMENT_MAX_BYTES: '1048576',
      DOCUMENT_MAX_PER_CLAIM: '10',
    });
    expect(config.MALWARE_SCANNING).toBe(true);
    expect(documentPolicy(documentPolicyOf(config))).toMatchObject({
      allowedContentTypes: ['application/pdf', 'image/png'],
      maxBytes: MEBIBYTE,
      maxPerClaim: 10,
    });
  });

  it.each([
    [{ DOCUMENTS_BUCKET_NAME: undefined }, /DOCUMENTS_BUCKET_NAME/],
    [{ DOCUMENT_ALLOWED_TYPES: 'application/pdf,text/html' }, /DOCUMENT_ALLOWED_TYPES/],
    [{ DOCUMENT_MAX_BYTES: 'lots' }, /DOCUMENT_MAX_BYTES/],
    [{ MALWARE_SCANNING: 'yes' }, /MALWARE_SCANNING/],
  ])('fails fast naming the bad variable (%o)', (override, message) => {
    expect(() => readConfig(verifyUploadEnvironment, { ...base, ...override })).toThrow(message);
  });
});
