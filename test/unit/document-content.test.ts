import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../functions/adapters/content-disposition.js';
import {
  DETECTION_SAMPLE_BYTES,
  detectContentType,
  looksLikeInternetMessage,
  MAX_ARCHIVE_ENTRIES,
  measureZipArchive,
} from '../../functions/adapters/content-type-detector.js';
import { documentObjectKey } from '../../functions/domain/document.js';
import {
  decodeEventKey,
  parseUploadKey,
  UPLOAD_PREFIX,
  uploadKeyOf,
} from '../../functions/storage-layout/document-object-keys.js';
import {
  sampleDocm,
  sampleDocx,
  sampleDocxBomb,
  sampleEml,
  sampleHtml,
  sampleJpeg,
  sampleMsg,
  samplePdf,
  samplePng,
  sampleXlsx,
  zip,
} from '../support/sample-files.js';

describe('measureZipArchive (the central directory, nothing inflated)', () => {
  it('sums the declared sizes of every entry', () => {
    expect(
      measureZipArchive(
        zip([
          ['a.xml', 'x'.repeat(300)],
          ['b.xml', 'yy'],
        ]),
      ),
    ).toEqual({
      entries: 2,
      uncompressedBytes: 302,
    });
    const bomb = measureZipArchive(sampleDocxBomb());
    expect(bomb).toMatchObject({ entries: 3 });
    expect(bomb !== 'unreadable' && bomb.uncompressedBytes).toBeGreaterThan(8 * 1024 * 1024);
  });

  it('reads only the directory: an entry whose data is garbage is still measured', () => {
    const archive = zip([['a.xml', 'x'.repeat(1000)]]);
    // Corrupt the deflated data (after the 30-byte local header and the 5-byte name).
    archive.fill(0xff, 35, 40);
    expect(measureZipArchive(archive)).toEqual({ entries: 1, uncompressedBytes: 1000 });
  });

  it('stops at a forged entry count and reports anything but a ZIP as unreadable', () => {
    const archive = zip([['a.xml', 'x']]);
    // The end-of-central-directory record claims 65,535 entries.
    archive.writeUInt16LE(0xffff, archive.length - 22 + 8);
    archive.writeUInt16LE(0xffff, archive.length - 22 + 10);
    const forged = measureZipArchive(archive);
    expect(forged).toMatchObject({ uncompressedBytes: Number.POSITIVE_INFINITY });
    expect(forged !== 'unreadable' && forged.entries).toBe(MAX_ARCHIVE_ENTRIES + 1);
    expect(measureZipArchive(samplePdf())).toBe('unreadable');
  });
});

describe('detectContentType (what the bytes prove)', () => {
  it.each([
    ['PDF', samplePdf(), 'application/pdf'],
    ['PNG', samplePng(), 'image/png'],
    ['JPEG', sampleJpeg(), 'image/jpeg'],
    ['DOCX', sampleDocx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['XLSX', sampleXlsx(), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ['DOCM', sampleDocm(), 'application/vnd.ms-word.document.macroenabled.12'],
    ['MSG (a CFB container)', sampleMsg(), 'application/x-cfb'],
    ['EML', sampleEml(), 'message/rfc822'],
    ['a plain zip', zip([['a.txt', 'hello']]), 'application/zip'],
  ])('%s → %s', async (_name, bytes, expected) => {
    expect(await detectContentType(bytes)).toBe(expected);
  });

  it('recognises nothing in HTML, plain text or an empty file', async () => {
    expect(await detectContentType(sampleHtml())).toBeUndefined();
    expect(await detectContentType(Buffer.from('just some notes\n'))).toBeUndefined();
    expect(await detectContentType(new Uint8Array())).toBeUndefined();
  });

  it('reads a sample large enough for Office files (64 KiB)', () => {
    expect(DETECTION_SAMPLE_BYTES).toBeGreaterThanOrEqual(4100);
  });
});

describe('looksLikeInternetMessage', () => {
  const text = (s: string) => Buffer.from(s);

  it('accepts a header block with folded lines, with LF or CRLF', () => {
    expect(looksLikeInternetMessage(text('From: a@b.c\nSubject: a long\n  folded subject\n\nbody'))).toBe(
      true,
    );
    expect(looksLikeInternetMessage(sampleEml())).toBe(true);
  });

  it('accepts a sample that ends inside the header block', () => {
    expect(looksLikeInternetMessage(text('Received: from x\nX-Spam: no\nFrom: a@b.c\nSubj'))).toBe(true);
  });

  it.each([
    ['HTML', '<html><body>From: a@b.c</body></html>\n'],
    ['a script', '#!/bin/sh\nFrom: x\n'],
    ['an mbox "From " line', 'From a@b.c Tue Mar 3 2026\nSubject: x\n\n'],
    ['one header only', 'From: a@b.c\n\nbody'],
    ['unknown fields only', 'Foo: 1\nBar: 2\n\n'],
    ['a leading continuation line', ' From: a@b.c\nTo: c@d.e\n\n'],
    ['binary', 'From: a@b.c\nTo: c\u0000d\n\n'],
    ['a space in a field name', 'From: a@b.c\nBad Field: x\n\n'],
  ])('refuses %s', (_name, sample) => {
    expect(looksLikeInternetMessage(text(sample))).toBe(false);
  });
});

describe('attachmentDisposition (RFC 6266, RFC 8187)', () => {
  it('keeps an ASCII name as is', () => {
    expect(attachmentDisposition('poe.pdf')).toBe(`attachment; filename="poe.pdf"; filename*=UTF-8''poe.pdf`);
  });

  it('gives non-ASCII names an ASCII fallback and the exact UTF-8 name', () => {
    expect(attachmentDisposition('Übersicht März.pdf')).toBe(
      `attachment; filename="Ubersicht Marz.pdf"; filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz.pdf`,
    );
    expect(attachmentDisposition('契約.pdf')).toBe(
      `attachment; filename="__.pdf"; filename*=UTF-8''%E5%A5%91%E7%B4%84.pdf`,
    );
  });

  it('cannot be broken out of: quotes, backslashes, semicolons and line breaks stay inside', () => {
    const header = attachmentDisposition('a"; filename="evil.html\r\nX-Injected: 1\\.pdf');
    expect(header).not.toMatch(/[\r\n]/);
    const fallback = /filename="([^"]*)"/.exec(header)?.[1];
    expect(fallback).toBe('a_; filename=_evil.html__X-Injected: 1_.pdf');
    expect(header).toContain(
      `filename*=UTF-8''a%22%3B%20filename%3D%22evil.html%0D%0AX-Injected%3A%201%5C.pdf`,
    );
  });

  it("percent-encodes what RFC 8187 does not allow bare (' ( ) *)", () => {
    expect(attachmentDisposition("it's (final)*.pdf")).toContain(
      `filename*=UTF-8''it%27s%20%28final%29%2A.pdf`,
    );
  });
});

describe('the upload key layout', () => {
  it('puts uploads under their own prefix and maps them back to claim and document', () => {
    const key = uploadKeyOf(documentObjectKey('6f1c0d4e-0000-4000-8000-000000000001', 'd-2'));
    expect(key).toBe(`${UPLOAD_PREFIX}claims/6f1c0d4e-0000-4000-8000-000000000001/documents/d-2`);
    expect(parseUploadKey(key)).toEqual({
      claimId: '6f1c0d4e-0000-4000-8000-000000000001',
      documentId: 'd-2',
    });
  });

  it.each([
    'claims/c/documents/d',
    'uploads/claims/c/documents/d/extra',
    'uploads/claims/../documents/d',
    'uploads/claims/c/documents/',
    'uploads/other/c',
  ])('ignores %s', (key) => {
    expect(parseUploadKey(key)).toBeUndefined();
  });

  it('decodes keys as S3 event notifications encode them', () => {
    expect(decodeEventKey('uploads/a+b%2Bc/%C3%A4')).toBe('uploads/a b+c/ä');
  });
});
