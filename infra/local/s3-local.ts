/**
 * The local S3: s3rver in this process, on a free port, with the PoE bucket created on start.
 * Objects live under `<dataDir>/s3` (kept between runs) or in a temporary folder removed on
 * stop. s3rver checks neither signatures nor POST policies (only URL expiry), which is why the
 * service verifies every upload itself after the fact.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver, { type S3rverEvent } from 's3rver';

/** Browsers on any local origin may upload and download: local development only. */
const LOCAL_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface LocalS3Options {
  bucketName: string;
  /** Keep objects here (`<dataDir>/s3`); unset: a temporary folder, removed on stop. */
  dataDir?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (the OS picks) */
  port?: number;
}

export interface LocalS3 {
  /** `http://host:port`: the SDK's endpoint (path-style) and the base of presigned URLs. */
  endpoint: string;
  bucketName: string;
  /** Subscribes to s3rver's object events; returns the unsubscribe function. */
  onEvent(listener: (event: S3rverEvent) => void): () => void;
  stop(): Promise<void>;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const persistent = options.dataDir !== undefined;
  const directory = persistent
    ? join(options.dataDir as string, 's3')
    : mkdtempSync(join(tmpdir(), 'cpor-s3-'));
  mkdirSync(directory, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: options.bucketName, configs: [LOCAL_CORS] }],
  });
  const removeTemporary = () => {
    if (!persistent) rmSync(directory, { recursive: true, force: true });
  };
  let address: { port: number };
  try {
    address = await server.run();
  } catch (error) {
    removeTemporary();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    bucketName: options.bucketName,
    onEvent(listener) {
      server.on('event', listener);
      return () => server.off('event', listener);
    },
    stop() {
      stopping ??= server.close().finally(removeTemporary);
      return stopping;
    },
  };
}
