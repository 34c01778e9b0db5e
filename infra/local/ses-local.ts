/**
 * aws-ses-v2-local, the local SES: SendEmail/SendRawEmail (v1) and v2 APIs, a web inbox on
 * its port, `GET /store` for tests. Started in process on `SES_PORT` (api.md) or a free port.
 * With a `dataDir`, the inbox survives a restart: every accepted email is appended to
 * `ses-inbox.jsonl` and loaded back on the next start.
 */
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { portProblem } from './port-check.js';

type StartSes = (config?: { host?: string; port?: number }) => Promise<Server>;
type Email = { messageId: string; at: number };
interface SesStore {
  saveEmail(email: Email): void;
  clearStore(): void;
  getStoreReadonly(): { emails: Email[] };
}

// The package is CommonJS. Both modules are loaded with Node's `require`, so the server's
// handlers and this file share one instance of its store module (a module-level array).
const require = createRequire(import.meta.url);
const startSes = (require('aws-ses-v2-local') as { default: StartSes }).default;
const store = require('aws-ses-v2-local/dist/store.js') as SesStore;

export interface LocalSes {
  /** `http://127.0.0.1:<port>`: the SES endpoint and the inbox UI. */
  url: string;
  stop(): Promise<void>;
}

/** The local SES could not listen on its port (`SES_PORT`). */
export class LocalSesPortError extends Error {
  override readonly name = 'LocalSesPortError';
}

export const SES_INBOX_FILE = 'ses-inbox.jsonl';

/** The file the accepted emails go to: the data folder of the running local SES, if any. */
let inboxFile: string | undefined;
let storeWrapped = false;

/**
 * The package keeps its inbox in memory and has no persistence hook; its handlers call the
 * store module's exports at call time, so wrapping `saveEmail` and `clearStore` sees every
 * accepted email and every "clear inbox". An email is on disk before SES answers the sender.
 */
function persistInbox(): void {
  if (storeWrapped) return;
  storeWrapped = true;
  const save = store.saveEmail;
  const clear = store.clearStore;
  store.saveEmail = (email) => {
    if (inboxFile) appendFileSync(inboxFile, `${JSON.stringify(email)}\n`);
    save(email);
  };
  store.clearStore = () => {
    if (inboxFile) rmSync(inboxFile, { force: true });
    clear();
  };
}

/** The emails kept in `file`; a line torn by a crash mid-write is skipped. */
function readInbox(file: string): Email[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const emails: Email[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      emails.push(JSON.parse(line) as Email);
    } catch {
      // the tail of a write cut short by a crash
    }
  }
  return emails;
}

export async function startLocalSes(
  options: { port?: number; host?: string; dataDir?: string } = {},
): Promise<LocalSes> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  const server = await startSes({ host, port: requestedPort });
  // On a listen error, Express 5 calls the package's callback anyway: the server comes back
  // not listening, with no address.
  const address = server.address();
  if (!server.listening || address === null || typeof address === 'string') {
    server.close();
    throw new LocalSesPortError(
      (await portProblem(host, requestedPort, 'SES_PORT')) ??
        `SES_PORT ${requestedPort}: cannot listen on ${host}.`,
    );
  }

  persistInbox();
  if (options.dataDir !== undefined) {
    inboxFile = join(options.dataDir, SES_INBOX_FILE);
    const { emails } = store.getStoreReadonly();
    const known = new Set(emails.map((e) => e.messageId));
    emails.push(...readInbox(inboxFile).filter((e) => !known.has(e.messageId)));
  }
  const ownFile = inboxFile;
  return {
    url: `http://${host}:${address.port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (inboxFile === ownFile) inboxFile = undefined;
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
