/** Local stand-ins for the cloud's generated secrets (cursor and consent-token HMAC keys). */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A random secret kept as `fileName` in the data folder, so what it signed (cursors, consent
 * links) stays valid across restarts; without a data folder, a fresh one per start.
 */
export function persistedSecret(dataDir: string | undefined, fileName: string): string {
  if (dataDir === undefined) return randomBytes(32).toString('base64url');
  const file = join(dataDir, fileName);
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('base64url');
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${secret}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  return secret;
}
