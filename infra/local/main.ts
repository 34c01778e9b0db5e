/**
 * `npm start`: the whole service on this machine, no AWS account needed.
 *
 *   --fresh | LOCAL_RESET=1   wipe the data folder first
 *   --in-memory               keep no data (DynamoDB in memory, S3 objects in a temporary folder)
 *   LOCAL_DATA_DIR            data folder (default `.local-data/`, git-ignored)
 *   PORT, HOST                where the API listens (default 3000 on 127.0.0.1)
 *   BUSINESS_CALENDAR_COUNTRY, BUSINESS_CALENDAR_REGION, BUSINESS_CALENDAR_TIME_ZONE
 */
import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { type LocalCloud, startLocalCloud } from './local-cloud.js';

const { values: flags } = parseArgs({
  options: { fresh: { type: 'boolean', default: false }, 'in-memory': { type: 'boolean', default: false } },
  strict: true,
});

const dataDir = resolve(process.env.LOCAL_DATA_DIR || '.local-data');
const port = Number(process.env.PORT || 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got ${process.env.PORT}.`);
  process.exit(1);
}

if (flags.fresh || process.env.LOCAL_RESET === '1') {
  // Never wipe a folder that contains the project or the home folder (a mistyped LOCAL_DATA_DIR).
  const containsCwd = !relative(dataDir, process.cwd()).startsWith('..');
  if (containsCwd || dataDir === homedir() || dataDir === sep) {
    console.error(
      `Refusing to wipe ${dataDir}: it contains the working folder. Set LOCAL_DATA_DIR to a data folder.`,
    );
    process.exit(1);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

const businessCalendar = {
  ...(process.env.BUSINESS_CALENDAR_COUNTRY && { country: process.env.BUSINESS_CALENDAR_COUNTRY }),
  ...(process.env.BUSINESS_CALENDAR_REGION && { region: process.env.BUSINESS_CALENDAR_REGION }),
  ...(process.env.BUSINESS_CALENDAR_TIME_ZONE && { timeZone: process.env.BUSINESS_CALENDAR_TIME_ZONE }),
};

const sesPort = Number(process.env.SES_PORT || 8005);
if (!Number.isInteger(sesPort) || sesPort < 0 || sesPort > 65535) {
  console.error(`SES_PORT must be a TCP port number, got ${process.env.SES_PORT}.`);
  process.exit(1);
}

let cloud: LocalCloud;
try {
  cloud = await startLocalCloud({
    dataDir,
    inMemory: flags['in-memory'],
    port,
    host: process.env.HOST || '127.0.0.1',
    businessCalendar,
    // Each upload's verification outcome shows in the console.
    logLevel: 'INFO',
    sesPort: sesPort,
  });
} catch (error) {
  console.error('The local cloud did not start:', error instanceof Error ? error.message : error);
  process.exit(1);
}

const url = cloud.url.replace('127.0.0.1', 'localhost');
const shownDataDir = relative(process.cwd(), dataDir).startsWith('..')
  ? dataDir
  : relative(process.cwd(), dataDir);
const storage = flags['in-memory'] ? 'data in memory' : `data in ${shownDataDir}`;
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
