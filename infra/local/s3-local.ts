/**
 * The local S3: s3rver in this process, with the PoE bucket created on start. Objects live
 * under `<dataDir>/s3` (kept between runs) or in a temporary folder removed on stop; with a
 * data folder the port is kept too (`<dataDir>/s3-port`), so presigned URLs handed out before
 * a restart still work after it. s3rver checks neither signatures nor POST policies (only URL
 * expiry), which is why the service verifies every upload itself after the fact.
 */
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver, { type S3rverEvent, type S3rverStore } from 's3rver';

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
  /**
   * A fixed port. Unset: the port of the last run with this `dataDir` if it is free, else one
   * the OS picks (and that one is remembered).
   */
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
  const portFile =
    persistent && options.port === undefined ? join(options.dataDir as string, 's3-port') : undefined;
  const removeTemporary = () => {
    if (!persistent) rmSync(directory, { recursive: true, force: true });
  };
  const serve = async (port: number) => {
    const server = new S3rver({
      address: host,
      port,
      silent: true,
      directory,
      vhostBuckets: false,
      configureBuckets: [{ name: options.bucketName, configs: [LOCAL_CORS] }],
    });
    guardStore(server.store);
    return { server, address: await server.run() };
  };
  let running: Awaited<ReturnType<typeof serve>>;
  try {
    const remembered = portFile ? rememberedPort(portFile) : undefined;
    // s3rver cannot report a busy port (the error goes unhandled), so it is probed first; a
    // busy remembered port (another program took it) gives way to any free one.
    const port =
      options.port ?? (remembered !== undefined && (await isFree(host, remembered)) ? remembered : 0);
    running = await serve(port);
  } catch (error) {
    removeTemporary();
    throw error;
  }
  const { server, address } = running;
  if (portFile) writeFileSync(portFile, `${address.port}\n`);
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

/** Whether a listener could bind `host:port` just now. */
async function isFree(host: string, port: number): Promise<boolean> {
  const probe = createServer();
  probe.listen(port, host);
  try {
    await Promise.race([
      once(probe, 'listening'),
      once(probe, 'error').then(([error]) => Promise.reject(error)),
    ]);
  } catch {
    return false;
  }
  probe.close();
  await once(probe, 'close');
  return true;
}

function rememberedPort(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const port = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

/**
 * s3rver's file store is not safe under concurrent writes: deleting an object also removes its
 * folders once empty, and a write that created them a moment before then opens its file in a
 * missing folder; that error is emitted on a stream nobody listens to and ends the process
 * (two POSTs of one presigned form, the verifier deleting the first upload while the second is
 * written). So writes of one key run one after the other, and a delete waits for the writes in
 * flight and runs alone; reads are untouched.
 */
function guardStore(store: S3rverStore): void {
  const writes = new Set<Promise<unknown>>();
  const writesByKey = new Map<string, Promise<unknown>>();
  let deletes: Promise<unknown> = Promise.resolve();
  const settle = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      () => undefined,
    );
  const write = <T>(key: string, run: () => Promise<T>): Promise<T> => {
    const before = writesByKey.get(key) ?? Promise.resolve();
    const pendingDeletes = deletes;
    const result = Promise.all([settle(before), settle(pendingDeletes)]).then(run);
    const done = settle(result);
    writes.add(done);
    writesByKey.set(key, done);
    void done.then(() => {
      writes.delete(done);
      if (writesByKey.get(key) === done) writesByKey.delete(key);
    });
    return result;
  };
  const remove = <T>(run: () => Promise<T>): Promise<T> => {
    const result = Promise.all([settle(deletes), ...writes]).then(run);
    deletes = settle(result);
    return result;
  };
  const { putObject, copyObject, putObjectMultipart, deleteObject } = store;
  store.putObject = (object) => write(`${object.bucket}/${object.key}`, () => putObject.call(store, object));
  store.copyObject = (srcBucket, srcKey, destBucket, destKey, metadata) =>
    write(`${destBucket}/${destKey}`, () =>
      copyObject.call(store, srcBucket, srcKey, destBucket, destKey, metadata),
    );
  store.putObjectMultipart = (bucket, uploadId, parts) =>
    write(`${bucket}/multipart/${uploadId}`, () => putObjectMultipart.call(store, bucket, uploadId, parts));
  store.deleteObject = (bucket, key) => remove(() => deleteObject.call(store, bucket, key));
}
