import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claimDraft } from '../support/claim-draft.js';

/** `npm start` as a user runs it: infra/local/main.ts in its own node process. */
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  /** The local SES (its inbox) as main.ts printed it. */
  sesUrl: string;
  output: () => string;
}

/** Every main.ts this file started; one still running after its test is killed with its java. */
const children = new Set<ChildProcess>();

function spawnMain(dataDir: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts', ...args], {
    cwd: projectRoot,
    env: { ...process.env, LOCAL_DATA_DIR: dataDir, PORT: '0', SES_PORT: '0', LOCAL_RESET: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: () => output };
}

async function start(dataDir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const { child, output } = spawnMain(dataDir, args, env);
  const urls = await new Promise<{ url: string; sesUrl: string }>((resolve, reject) => {
    const onData = () => {
      const url = /API on (http:\/\/\S+?) /.exec(output())?.[1];
      const sesUrl = /SES inbox at (http:\/\/\S+?)\. /.exec(output())?.[1];
      if (url && sesUrl) resolve({ url, sesUrl });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}:\n${output()}`)));
  });
  return { child, ...urls, output };
}

/** Runs main.ts expecting it to refuse to start: its exit code and what it printed. */
async function startRefused(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnMain(dataDir, [], env);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output: output() };
}

/** The java processes whose parent is `pid` (Linux /proc). */
function javaChildren(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [comm, rest] = [
        stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        stat.slice(stat.lastIndexOf(')') + 2),
      ];
      const [state, ppid] = rest.split(' ');
      if (comm === 'java' && Number(ppid) === pid && state !== 'Z') found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function stopWith(
  started: Started,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; java: number[] }> {
  const pid = started.child.pid as number;
  const java = javaChildren(pid);
  const exited = once(started.child, 'exit') as Promise<[number | null]>;
  started.child.kill(signal);
  const [code] = await exited;
  return { code, java };
}

const draft = claimDraft({ name: 'Kept across restarts' });

describe('npm start (infra/local/main.ts)', () => {
  let dataDir: string;
  let token: string;
  let claimId: string;
  let cursor: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpor-main-'));
  });
  afterEach(() => {
    for (const child of children) {
      for (const pid of javaChildren(child.pid as number)) process.kill(pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves health, tokens and claims, and stops on SIGTERM with exit 0 and no java left', async () => {
    const started = await start(dataDir);
    try {
      expect(started.output()).toContain('/_local/token');
      expect((await fetch(`${started.url}/health`)).status).toBe(200);
      const issued = await fetch(`${started.url}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'alice', partnerId: 'partner-a', roles: ['Partner.GlobalAdmin'] }),
      });
      expect(issued.status).toBe(200);
      token = ((await issued.json()) as { token: string }).token;
      const created = await fetch(`${started.url}/v1/claims`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(draft),
      });
      expect(created.status).toBe(201);
      claimId = ((await created.json()) as { id: string }).id;
      await fetch(`${started.url}/v1/claims`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ...draft, name: 'Second' }),
      });
      const page = await fetch(`${started.url}/v1/claims?limit=1`, {
        headers: { authorization: `Bearer ${token}` },
      });
      cursor = ((await page.json()) as { nextCursor: string }).nextCursor;
      expect(cursor).toEqual(expect.any(String));
      const clock = (await (await fetch(`${started.url}/_local/clock`)).json()) as { now: string };
      expect(Math.abs(Date.parse(clock.now) - Date.now())).toBeLessThan(10_000);
    } finally {
      const { code, java } = await stopWith(started, 'SIGTERM');
      expect(code).toBe(0);
      expect(java).toHaveLength(1);
      for (const pid of java) expect(alive(pid)).toBe(false);
    }
  }, 180_000);

  it('keeps claims, the signing key and the cursor secret in the data folder; SIGINT stops it too', async () => {
    const started = await start(dataDir);
    try {
      const read = await fetch(`${started.url}/v1/claims/${claimId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ id: claimId, name: 'Kept across restarts' });
      const next = await fetch(`${started.url}/v1/claims?limit=1&cursor=${encodeURIComponent(cursor)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(next.status).toBe(200);
      expect(((await next.json()) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([claimId]);
    } finally {
      const { code, java } = await stopWith(started, 'SIGINT');
      expect(code).toBe(0);
      for (const pid of java) expect(alive(pid)).toBe(false);
    }
  }, 180_000);

  it('starts empty with --fresh: old tokens no longer verify and old claims are gone', async () => {
    const started = await start(dataDir, ['--fresh']);
    try {
      const read = await fetch(`${started.url}/v1/claims/${claimId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(401);
      const issued = await fetch(`${started.url}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'alice', partnerId: 'partner-a', roles: ['Partner.GlobalAdmin'] }),
      });
      const fresh = ((await issued.json()) as { token: string }).token;
      const again = await fetch(`${started.url}/v1/claims/${claimId}`, {
        headers: { authorization: `Bearer ${fresh}` },
      });
      expect(again.status).toBe(404);
    } finally {
      expect((await stopWith(started, 'SIGTERM')).code).toBe(0);
    }
  }, 180_000);

  it('refuses a second npm start on the same data folder, naming the running one', async () => {
    const first = await start(dataDir);
    try {
      const second = await startRefused(dataDir);
      expect(second.code).toBe(1);
      expect(second.output).toContain(`is in use by another npm start (pid ${first.child.pid})`);
      expect((await fetch(`${first.url}/health`)).status).toBe(200);
    } finally {
      expect((await stopWith(first, 'SIGTERM')).code).toBe(0);
    }
  }, 180_000);

  it('after a kill -9: takes the stale lock over, stops the orphaned java and keeps the SES inbox', async () => {
    const crashed = await start(dataDir);
    const ses = new SESClient({
      endpoint: crashed.sesUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ses.send(
      new SendEmailCommand({
        Source: 'no-reply@cpor-claims.local',
        Destination: { ToAddresses: ['chris@contoso.com'] },
        Message: { Subject: { Data: 'Sent before the crash' }, Body: { Text: { Data: 'kept' } } },
      }),
    );
    ses.destroy();
    const { java } = await stopWith(crashed, 'SIGKILL');
    expect(java).toHaveLength(1);
    const orphan = java[0] as number;
    // The premise: node died without a chance to stop its java.
    expect(alive(orphan)).toBe(true);
    try {
      const restarted = await start(dataDir);
      try {
        expect(alive(orphan)).toBe(false);
        const store = (await (await fetch(`${restarted.sesUrl}/store`)).json()) as {
          emails: { subject: string }[];
        };
        expect(store.emails.map((e) => e.subject)).toContain('Sent before the crash');
        expect((await fetch(`${restarted.url}/health`)).status).toBe(200);
      } finally {
        expect((await stopWith(restarted, 'SIGTERM')).code).toBe(0);
      }
    } finally {
      if (alive(orphan)) process.kill(orphan, 'SIGKILL');
    }
  }, 240_000);

  it('says clearly that SES_PORT is busy, instead of crashing', async () => {
    const squatter = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const { port } = squatter.address() as { port: number };
    try {
      const refused = await startRefused(dataDir, { SES_PORT: String(port) });
      expect(refused.code).toBe(1);
      expect(refused.output).toContain(
        `SES_PORT ${port}: cannot listen on 127.0.0.1:${port}, the port is already in use`,
      );
      expect(refused.output).not.toMatch(/TypeError|at .*\.ts:\d+/);
    } finally {
      squatter.close();
    }
  }, 180_000);
});
