/**
 * Content sniffing for the upload verifier: the media type the bytes prove, whatever the
 * file was called or declared as. Binary formats come from `file-type` (magic numbers; Office
 * files from their zip entries). Plain-text formats carry no magic number, and the only one
 * the service accepts is an email (`.eml`), recognised by its RFC 5322 header block.
 * ZIP-based files (DOCX, XLSX) are also measured from their central directory (`fflate`).
 */
import { unzipSync } from 'fflate';
import { fileTypeFromBuffer } from 'file-type';
import type { ArchiveMeasure } from '../domain/document.js';
import type { ArchiveInspector, ContentTypeDetector } from '../domain/ports/documents.js';

/**
 * How many leading bytes the sniffer looks at. `file-type` needs 4,100 for most formats, but
 * recognises DOCX/XLSX by reading zip entries up to `[Content_Types].xml`, which producers
 * may place after other entries; 64 KiB covers that.
 */
export const DETECTION_SAMPLE_BYTES = 64 * 1024;

export const detectContentType: ContentTypeDetector = async (bytes) => {
  const head = bytes.subarray(0, DETECTION_SAMPLE_BYTES);
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeInternetMessage(head) ? 'message/rfc822' : undefined;
};

/**
 * More entries than any real DOCX/XLSX has: the walk stops there, so a forged directory that
 * claims billions of entries costs nothing.
 */
export const MAX_ARCHIVE_ENTRIES = 20_000;

/** Thrown from `fflate`'s filter to end the walk early. */
const TOO_MANY_ENTRIES = Symbol('tooManyEntries');

/**
 * What a ZIP archive's central directory declares: the entry count and the sum of the
 * uncompressed sizes, read from the directory at the end of `bytes` without inflating a
 * single entry (`fflate`'s filter sees each entry's sizes and declines it). `'unreadable'`
 * without a valid end-of-central-directory record. Past `MAX_ARCHIVE_ENTRIES` the total is
 * `Infinity`: such an archive is refused anyway.
 */
export const measureZipArchive: ArchiveInspector = (bytes) => {
  let entries = 0;
  let uncompressedBytes = 0;
  try {
    unzipSync(bytes, {
      filter: (file) => {
        entries += 1;
        if (entries > MAX_ARCHIVE_ENTRIES) throw TOO_MANY_ENTRIES;
        uncompressedBytes += file.originalSize;
        return false;
      },
    });
  } catch (error) {
    if (error === TOO_MANY_ENTRIES) return { entries, uncompressedBytes: Number.POSITIVE_INFINITY };
    return 'unreadable';
  }
  return { entries, uncompressedBytes } satisfies ArchiveMeasure;
};

/** RFC 5322 field name: printable ASCII except the colon. */
const HEADER_FIELD = /^[\x21-\x39\x3b-\x7e]+:/;
/** Fields that every real message carries at least one of. */
const MESSAGE_FIELDS = new Set(['from', 'date', 'subject', 'to', 'message-id', 'received', 'mime-version']);

/**
 * Whether the bytes start like an Internet message: header fields (with folded
 * continuation lines) up to the blank line that ends the header block, or to the end of the
 * sample, with at least two fields and one of the usual ones, and no NUL byte (binary).
 * HTML, scripts and arbitrary text fail at the first line.
 */
export function looksLikeInternetMessage(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
  const lines = text.split(/\r?\n/);
  // A sample that ends mid-line: the last, partial line proves nothing either way.
  if (head.length > 0 && !text.endsWith('\n')) lines.pop();
  const names: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (index === 0) return false;
      continue;
    }
    if (!HEADER_FIELD.test(line)) return false;
    names.push(line.slice(0, line.indexOf(':')).toLowerCase());
  }
  return names.length >= 2 && names.some((name) => MESSAGE_FIELDS.has(name));
}
