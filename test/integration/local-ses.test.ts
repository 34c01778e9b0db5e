/**
 * The local SES (aws-ses-v2-local, in process): a busy port is a clear error, and every
 * accepted email is on disk in the data folder before SES answers, for the next start to
 * load (the restart itself is in local-main.test.ts).
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS_CREDENTIALS, LOCAL_AWS_REGION } from '../../infra/local/dynamodb-local.js';
import { LocalSesPortError, SES_INBOX_FILE, startLocalSes } from '../../infra/local/ses-local.js';

describe('the local SES', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpor-ses-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a busy port with an error naming SES_PORT (it used to crash destructuring a null address)', async () => {
    const squatter = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const { port } = squatter.address() as { port: number };
    try {
      const started = startLocalSes({ port });
      await expect(started).rejects.toBeInstanceOf(LocalSesPortError);
      await expect(started).rejects.toThrow(
        `SES_PORT ${port}: cannot listen on 127.0.0.1:${port}, the port is already in use`,
      );
    } finally {
      squatter.close();
    }
  });

  it('writes each accepted email to the data folder, and "clear inbox" empties it', async () => {
    const ses = await startLocalSes({ dataDir });
    const client = new SESClient({
      endpoint: ses.url,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    try {
      const { MessageId } = await client.send(
        new SendEmailCommand({
          Source: 'no-reply@cpor-claims.local',
          Destination: { ToAddresses: ['chris@contoso.com'] },
          Message: { Subject: { Data: 'Kept on disk' }, Body: { Text: { Data: 'hello' } } },
        }),
      );
      const kept = readFileSync(join(dataDir, SES_INBOX_FILE), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { messageId: string; subject: string });
      expect(kept).toEqual([expect.objectContaining({ messageId: MessageId, subject: 'Kept on disk' })]);

      expect((await fetch(`${ses.url}/clear-store`, { method: 'POST' })).status).toBe(200);
      expect(() => readFileSync(join(dataDir, SES_INBOX_FILE))).toThrow(/ENOENT/);
    } finally {
      client.destroy();
      await ses.stop();
    }
  });
});
