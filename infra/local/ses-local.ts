/**
 * aws-ses-v2-local, the local SES: SendEmail/SendRawEmail (v1) and v2 APIs, a web inbox on
 * its port, `GET /store` for tests. Started in process on `SES_PORT` (api.md) or a free port.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesModule from 'aws-ses-v2-local';

type StartSes = (config?: { host?: string; port?: number }) => Promise<Server>;

// The package is CommonJS with `exports.default`: Node's ESM loader hands us the exports
// object, bundlers and vitest the function itself.
const startSes: StartSes =
  typeof sesModule === 'function'
    ? (sesModule as StartSes)
    : (sesModule as unknown as { default: StartSes }).default;

export interface LocalSes {
  /** `http://127.0.0.1:<port>`: the SES endpoint and the inbox UI. */
  url: string;
  stop(): Promise<void>;
}

export async function startLocalSes(options: { port?: number; host?: string } = {}): Promise<LocalSes> {
  const host = options.host ?? '127.0.0.1';
  const server = await startSes({ host, port: options.port ?? 0 });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
