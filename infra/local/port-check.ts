/**
 * Why a port of the local stack cannot be listened on, in words a user can act on. Checked
 * before anything starts (so a busy port is reported at once, not after DynamoDB Local's
 * start-up), and again when a listener fails (the port may be taken in between).
 */
import { createServer } from 'node:net';

/**
 * Tries to listen on `host:port` once and lets go again; undefined when that works, otherwise
 * the reason, naming `setting` (the environment variable that chooses the port).
 */
export async function portProblem(host: string, port: number, setting: string): Promise<string | undefined> {
  if (port === 0) return undefined;
  const probe = createServer();
  const code = await new Promise<string | undefined>((resolve) => {
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
  if (code === undefined) return undefined;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return `${setting} ${port}: cannot listen on ${where}, the port is already in use (another npm start, or another program). Stop it, or set ${setting} to a free port.`;
  }
  return `${setting} ${port}: cannot listen on ${where} (${code}). Set ${setting} to a port this user may open.`;
}
