/**
 * Content sniffing for the upload verifier: the media type the bytes prove, whatever the
 * file was called or declared as. Binary formats come from `file-type` (magic numbers; Office
 * files from their zip entries). Plain-text formats carry no magic number, and the only one
 * the service accepts is an email (`.eml`), recognised by its RFC 5322 header block.
 */
import { fileTypeFromBuffer } from 'file-type';
import type { ContentTypeDetector } from '../domain/ports.js';

/**
 * How many leading bytes the verifier reads. `file-type` needs 4,100 for most formats, but
 * recognises DOCX/XLSX by reading zip entries up to `[Content_Types].xml`, which producers
 * may place after other entries; 64 KiB covers that at the cost of one ranged GET either way.
 */
export const DETECTION_SAMPLE_BYTES = 64 * 1024;

export const detectContentType: ContentTypeDetector = async (head) => {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeInternetMessage(head) ? 'message/rfc822' : undefined;
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
