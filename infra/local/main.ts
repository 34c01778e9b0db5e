/**
 * `npm start`: the whole service on this machine, no AWS account needed.
 *
 *   --fresh | LOCAL_RESET=1   wipe the data folder first (`npm start -- --fresh`; a bare
 *                             `npm start --fresh` reaches us as npm_config_fresh and works too)
 *   --in-memory               keep no data (DynamoDB in memory, S3 objects in a temporary folder)
 *   LOCAL_DATA_DIR            data folder (default `.local-data/`, git-ignored)
 *   PORT, HOST                where the API listens (default 3000 on 127.0.0.1)
 *   SES_PORT                  the local SES and its inbox (default 8005)
 *   CORS_ORIGINS              browser origins allowed by CORS, comma-separated
 *   BUSINESS_CALENDAR_COUNTRY, BUSINESS_CALENDAR_REGION, BUSINESS_CALENDAR_TIME_ZONE
 *
 * One `npm start` per data folder (a lock file with its pid); a DynamoDB Local left running
 * by a crash is stopped before the new one starts.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { isOrigin } from '../cors.js';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from './data-dir-lock.js';
import { stopOrphanedDynamoDbLocal } from './dynamodb-local.js';
import { DYNAMODB_PROCESS_FILE, type LocalCloud, startLocalCloud } from './local-cloud.js';
import { portProblem } from './port-check.js';
import { LocalSesPortError } from './ses-local.js';

const { values: flags } = parseArgs({
  options: { fresh: { type: 'boolean', default: false }, 'in-memory': { type: 'boolean', default: false } },
  strict: true,
});
// npm treats options before `--` as its own config and hands them to the script only as
// npm_config_<name>: honour the two this script defines.
const fresh = flags.fresh || process.env.LOCAL_RESET === '1' || process.env.npm_config_fresh === 'true';
const inMemory = flags['in-memory'] || process.env.npm_config_in_memory === 'true';

const dataDir = resolve(process.env.LOCAL_DATA_DIR || '.local-data');
const port = tcpPort('PORT', 3000);
const sesPort = tcpPort('SES_PORT', 8005);
const host = process.env.HOST || '127.0.0.1';
const corsOrigins = (process.env.CORS_ORIGINS ?? '')
  .split(',')
  .map((origin) => origin.trim())
  .filter(Boolean);
const notOrigins = corsOrigins.filter((origin) => origin !== '*' && !isOrigin(origin));
if (notOrigins.length > 0) {
  console.error(
    `CORS_ORIGINS must list origins like http://localhost:5173 (no path, no trailing slash) or *, got ${notOrigins.join(', ')}.`,
  );
  process.exit(1);
}

function tcpPort(name: string, fallback: number): number {
  const value = Number(process.env[name] || fallback);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`${name} must be a TCP port number, got ${process.env[name]}.`);
    process.exit(1);
  }
  return value;
}

mkdirSync(dataDir, { recursive: true });
try {
  const lock = lockDataDir(dataDir);
  process.on('exit', () => lock.release());
} catch (error) {
  if (!(error instanceof DataDirLockedError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// A busy port is reported now, not after DynamoDB Local took its time to start.
for (const [setting, value] of [
  ['PORT', port],
  ['SES_PORT', sesPort],
] as const) {
  // The local SES listens on 127.0.0.1 whatever HOST says.
  const problem = await portProblem(setting === 'PORT' ? host : '127.0.0.1', value, setting);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
}

if (fresh) {
  // Never wipe a folder that contains the project or the home folder (a mistyped LOCAL_DATA_DIR).
  const containsCwd = !relative(dataDir, process.cwd()).startsWith('..');
  if (containsCwd || dataDir === homedir() || dataDir === sep) {
    console.error(
      `Refusing to wipe ${dataDir}: it contains the working folder. Set LOCAL_DATA_DIR to a data folder.`,
    );
    process.exit(1);
  }
  // A java left by a crash still holds the database files it would otherwise keep using.
  await stopOrphanedDynamoDbLocal(join(dataDir, DYNAMODB_PROCESS_FILE));
  for (const entry of readdirSync(dataDir)) {
    if (entry !== LOCK_FILE) rmSync(join(dataDir, entry), { recursive: true, force: true });
  }
}

const businessCalendar = {
  ...(process.env.BUSINESS_CALENDAR_COUNTRY && { country: process.env.BUSINESS_CALENDAR_COUNTRY }),
  ...(process.env.BUSINESS_CALENDAR_REGION && { region: process.env.BUSINESS_CALENDAR_REGION }),
  ...(process.env.BUSINESS_CALENDAR_TIME_ZONE && { timeZone: process.env.BUSINESS_CALENDAR_TIME_ZONE }),
};

let cloud: LocalCloud;
try {
  cloud = await startLocalCloud({
    dataDir,
    inMemory,
    port,
    host,
    businessCalendar,
    // Each upload's verification outcome shows in the console.
    logLevel: 'INFO',
    sesPort: sesPort,
    corsOrigins,
  });
} catch (error) {
  console.error(startFailure(error));
  process.exit(1);
}

function startFailure(error: unknown): string {
  if (error instanceof LocalSesPortError) return error.message;
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return `PORT ${port}: cannot listen on ${host}:${port}, the port is already in use (another npm start, or another program). Stop it, or set PORT to a free port.`;
  }
  return `The local cloud did not start: ${error instanceof Error ? error.message : String(error)}`;
}

const url = cloud.url.replace('127.0.0.1', 'localhost');
const shownDataDir = relative(process.cwd(), dataDir).startsWith('..')
  ? dataDir
  : relative(process.cwd(), dataDir);
const storage = inMemory ? 'data in memory' : `data in ${shownDataDir}`;
console.log(
  `CPOR claims API on ${url} (${storage}, DynamoDB Local at ${cloud.dynamoDbEndpoint}, S3 (s3rver) at ${cloud.s3.endpoint}). Token: ` +
    `curl -s -X POST ${url}/_local/token -H 'content-type: application/json' ` +
    `-d '{"sub":"alice","partnerId":"P-1","roles":["Partner.GlobalAdmin"]}'`,
);
if (cloud.lifecycle) {
  console.log(
    `Emails: the SES inbox at ${cloud.lifecycle.ses.url.replace('127.0.0.1', 'localhost')}. ` +
      `Move time: curl -s -X POST ${url}/_local/clock -H 'content-type: application/json' -d '{"advanceDays":7}'. ` +
      `Domain events: ${url}/_local/events.`,
  );
}

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) {
    // A second Ctrl-C: leave now; the exit hook still kills java.
    process.exit(1);
  }
  shuttingDown = true;
  console.log(`${signal}: stopping.`);
  try {
    await cloud.stop();
    process.exit(0);
  } catch (error) {
    console.error('Shutdown failed:', error);
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

// Without its database the API is useless: leave instead of answering 500s.
void cloud.dynamoDb?.exited.then(({ code, signal }) => {
  if (shuttingDown) return;
  console.error(`DynamoDB Local exited unexpectedly (code ${code}, signal ${signal}); stopping.`);
  shuttingDown = true;
  void cloud.stop().finally(() => process.exit(1));
});
