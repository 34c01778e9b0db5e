/**
 * The README's quick start, run literally: its `sh` blocks are read from README.md, `npm start`
 * is started from the set-up block against a fresh data folder, and the token, create, list
 * and PoE upload commands run in a real shell (`sh`) with their outputs checked, so the
 * README cannot drift from what works. The only edits: the port (free ports instead of 3000
 * and 8005) and the claim id the README leaves to the reader (`<id of the claim>`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const README_PORT = 'localhost:3000';

/** The README's ```sh blocks, in order. */
function shBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^ *```sh\n([\s\S]*?)^ *```/gm)].map((m) => m[1] ?? '');
}

function blockWith(blocks: string[], text: string): string {
  const block = blocks.find((b) => b.includes(text));
  if (block === undefined) throw new Error(`No sh block of README.md contains ${text}.`);
  return block;
}

/**
 * Splits a block into its commands as the shell will run them: a command ends at a line
 * that does not continue (`\`) and after which `sh -n` finds the text complete (so quotes
 * spanning lines stay together). Comment-only and blank lines are dropped.
 */
function commandsOf(block: string): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const line of block.split('\n')) {
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    pending += `${line}\n`;
    if (line.endsWith('\\')) continue;
    try {
      execFileSync('sh', ['-n', '-c', pending], { stdio: 'ignore' });
    } catch {
      continue; // an open quote: the command goes on
    }
    commands.push(pending.trimEnd());
    pending = '';
  }
  if (pending.trim() !== '') throw new Error(`An unfinished command in README.md:\n${pending}`);
  return commands;
}

/** One `sh` process kept for the whole quick start, as a user's terminal is. */
class Shell {
  private readonly child: ChildProcess;
  private buffer = '';
  private waiting: (() => void) | undefined;
  private serial = 0;

  constructor(cwd: string) {
    this.child = spawn('sh', [], { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      this.waiting?.();
    });
  }

  /** Runs one command; its standard output and exit status. */
  async run(command: string): Promise<{ output: string; status: number }> {
    const marker = `@@quick-start-${++this.serial}@@`;
    this.child.stdin?.write(`${command}\nprintf '\\n${marker} %s\\n' "$?"\n`);
    const pattern = new RegExp(`\\n${marker} (\\d+)\\n`);
    for (;;) {
      const match = pattern.exec(this.buffer);
      if (match) {
        const output = this.buffer.slice(0, match.index);
        this.buffer = this.buffer.slice(match.index + match[0].length);
        return { output, status: Number(match[1]) };
      }
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }

  async close(): Promise<void> {
    this.child.stdin?.end();
    if (this.child.exitCode === null) await once(this.child, 'exit');
  }
}

describe('the README quick start, literally', () => {
  const blocks = shBlocks(readFileSync(join(projectRoot, 'README.md'), 'utf8'));
  let dataDir: string;
  let workDir: string;
  let service: ChildProcess;
  let serviceOutput = '';
  let shell: Shell;
  let port: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cpor-readme-data-'));
    workDir = mkdtempSync(join(tmpdir(), 'cpor-readme-work-'));
    const setUp = blockWith(blocks, 'npm start');
    // `npm ci && npm start   # …`: the dependencies are installed already; start the rest.
    const startCommand = /&& (npm start[^#\n]*?)\s*#/.exec(setUp)?.[1];
    expect(setUp).toContain('npm ci && npm start');
    service = spawn('sh', ['-c', `exec ${startCommand}`], {
      cwd: projectRoot,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir, PORT: '0', SES_PORT: '0', LOCAL_RESET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: npm, tsx and node stop together
    });
    port = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        serviceOutput += chunk.toString();
        const found = /API on http:\/\/localhost:(\d+) /.exec(serviceOutput)?.[1];
        if (found) resolve(found);
      };
      service.stdout?.on('data', onData);
      service.stderr?.on('data', onData);
      service.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${serviceOutput}`)));
    });
    shell = new Shell(workDir);
  }, 180_000); // npm, tsx and DynamoDB Local's java start-up on a busy machine
  afterAll(async () => {
    await shell?.close();
    if (service?.pid !== undefined && service.exitCode === null) {
      const exited = once(service, 'exit');
      process.kill(-service.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Runs every command of a README block; their outputs, in order, each checked to exit 0. */
  async function runBlock(block: string, edits: (block: string) => string = (b) => b) {
    const outputs: string[] = [];
    for (const command of commandsOf(edits(block).replaceAll(README_PORT, `localhost:${port}`))) {
      const { output, status } = await shell.run(command);
      expect(status, `${command}\n${output}`).toBe(0);
      outputs.push(output);
    }
    return outputs;
  }

  it('gets a token, creates a claim, lists it, uploads a PoE document and downloads it', async () => {
    const [token, created, listed, openapi, ...rest] = await runBlock(blockWith(blocks, '/_local/token'));
    expect(rest).toEqual([]);
    expect(token).toBe('');
    const claim = JSON.parse(created as string) as { id: string; status: string; name: string };
    expect(claim).toMatchObject({ status: 'editing', name: 'Contoso Dynamics 365 rollout' });
    const page = JSON.parse(listed as string) as { items: { id: string }[] };
    expect(page.items.map((c) => c.id)).toEqual([claim.id]);
    expect(JSON.parse(openapi as string)).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./) });

    const upload = await runBlock(blockWith(blocks, 'poe.pdf'), (block) =>
      block.replace('<id of the claim>', claim.id),
    );
    const [prepared, declared, posted, documentId, waited, documents, download] = upload;
    expect(upload).toHaveLength(7);
    expect([prepared, declared, documentId, waited]).toEqual(['', '', '', '']);
    expect(posted?.trim()).toBe('204');
    const { items } = JSON.parse(documents as string) as { items: { fileName: string; status: string }[] };
    expect(items).toEqual([expect.objectContaining({ fileName: 'poe.pdf', status: 'available' })]);
    const link = JSON.parse(download as string) as { url: string; expiresAt: string };
    const file = await fetch(link.url);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).toString()).toBe('%PDF-1.4\n%%EOF\n');
  }, 120_000);
});
