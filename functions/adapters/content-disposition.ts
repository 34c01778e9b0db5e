/**
 * `Content-Disposition: attachment` for a partner-chosen file name (RFC 6266), safe in a
 * header and faithful in modern browsers: an ASCII `filename` fallback without quotes,
 * backslashes or controls, plus the exact name as UTF-8 in `filename*` (RFC 8187, formerly
 * RFC 5987). `attachment` keeps browsers from rendering the file (no HTML/SVG/PDF script runs
 * on the bucket's origin).
 */

/** RFC 8187 `attr-char`: everything else is percent-encoded. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

export function attachmentDisposition(fileName: string): string {
  const name = fileName.normalize('NFC');
  const fallback =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]|["\\%]/g, '_')
      .trim() || 'document';
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc8187(name)}`;
}

function encodeRfc8187(value: string): string {
  let encoded = '';
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    encoded +=
      byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
