/**
 * Small, genuine files of each PoE type (and impostors), built in code so the tests need no
 * binary fixtures: a PDF, PNG, JPEG, DOCX/XLSX/DOCM (real zip archives), an Outlook MSG
 * container header, an email and an HTML page.
 */
import { crc32, deflateRawSync } from 'node:zlib';

/** A PDF of `size` bytes at least (padded with a comment before the trailer). */
export function samplePdf(size = 2048): Buffer {
  const start = '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n';
  const end = 'trailer << /Root 1 0 R >>\n%%EOF\n';
  const padding = Math.max(0, size - start.length - end.length - 2);
  return Buffer.from(`${start}%${'x'.repeat(padding)}\n${end}`);
}

export const samplePng = (): Buffer =>
  Buffer.from(
    '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2a1c5be0000000049454e44ae426082',
    'hex',
  );

export const sampleJpeg = (): Buffer =>
  Buffer.concat([
    Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
    Buffer.alloc(64),
    Buffer.from('ffd9', 'hex'),
  ]);

/** The first sector of a Compound File Binary container, as Outlook `.msg` files start. */
export const sampleMsg = (): Buffer =>
  Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(1024)]);

export const sampleEml = (): Buffer =>
  Buffer.from(
    'Received: from mail.contoso.com\r\nFrom: Chris <chris@contoso.com>\r\nTo: pat@fabrikam.com\r\n' +
      'Subject: Dynamics 365 go-live\r\n' +
      'Date: Tue, 3 Mar 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\r\nThanks for the rollout.\r\n',
  );

export const sampleHtml = (): Buffer =>
  Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n');

const contentTypes = (main: string) =>
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  `<Default Extension="xml" ContentType="application/xml"/><Override PartName="/main.xml" ContentType="${main}"/></Types>`;

export const sampleDocx = (): Buffer =>
  zip([
    [
      '[Content_Types].xml',
      contentTypes('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'),
    ],
    ['word/document.xml', '<w:document/>'],
  ]);

export const sampleXlsx = (): Buffer =>
  zip([
    [
      '[Content_Types].xml',
      contentTypes('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'),
    ],
    ['xl/workbook.xml', '<workbook/>'],
  ]);

/** A macro-enabled Word document: a zip with Office structure that must not pass as DOCX. */
export const sampleDocm = (): Buffer =>
  zip([
    ['[Content_Types].xml', contentTypes('application/vnd.ms-word.document.macroEnabled.main+xml')],
    ['word/document.xml', '<w:document/>'],
  ]);

/**
 * A DOCX that is a ZIP bomb: genuine Office structure plus one entry of 8 MiB of zeros that
 * deflates to about 8 KB (a thousand times smaller).
 */
export const sampleDocxBomb = (): Buffer =>
  zip([
    [
      '[Content_Types].xml',
      contentTypes('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'),
    ],
    ['word/document.xml', '<w:document/>'],
    ['word/media/filler.bin', Buffer.alloc(8 * 1024 * 1024)],
  ]);

/** A minimal zip archive (deflated entries, no data descriptors). */
export function zip(entries: [name: string, content: string | Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const data = Buffer.from(content);
    const body = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
