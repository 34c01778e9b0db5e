/**
 * Headless Chromium for browser tests, from the npm package `@sparticuz/chromium` (its binary
 * ships inside the package, so `npm ci` is the whole set-up: no apt, no browser download),
 * driven by playwright-core. `CHROMIUM_PATH` uses another Chromium instead.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Chromium from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';

/**
 * `--single-process --no-zygote` are what this package's build needs to start outside Lambda;
 * the rest keeps a test browser quiet (no updates, sync or background requests).
 */
const BROWSER_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--single-process',
  '--no-zygote',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let unpacked: Promise<string> | undefined;

/**
 * The Chromium binary, unpacked once per machine and package version into
 * `<tmp>/cpor-chromium-<version>/`. The package unpacks into `os.tmpdir()` and trusts any file
 * already there, so a half-written binary (two test files at once, or an interrupted run)
 * would be used as is; unpacking into a private folder and renaming it into place makes the
 * result all or nothing, and the first finished worker wins.
 */
export function chromiumExecutable(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return Promise.resolve(process.env.CHROMIUM_PATH);
  unpacked ??= unpack();
  return unpacked;
}

async function unpack(): Promise<string> {
  // The package exports no `package.json`; it sits one folder above the entry point.
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const home = join(tmpdir(), `cpor-chromium-${version}`);
  const binary = join(home, 'chromium');
  if (isFile(binary)) return binary;

  const staging = mkdtempSync(join(tmpdir(), 'cpor-chromium-staging-'));
  // `executablePath()` unpacks into `os.tmpdir()`, which reads TMPDIR on every call.
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    await Chromium.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  try {
    renameSync(staging, home);
  } catch (error) {
    // Another worker moved its complete copy into place first.
    rmSync(staging, { recursive: true, force: true });
    if (!isFile(binary)) throw error;
  }
  return binary;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A headless Chromium; close it in `afterAll`. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumExecutable(), args: BROWSER_ARGS });
}
