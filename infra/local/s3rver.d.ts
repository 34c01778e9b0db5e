/** The part of s3rver 3 (CommonJS, untyped) the local cloud uses. */
declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { AddressInfo } from 'node:net';

  export interface S3rverOptions {
    /** @default 'localhost' */
    address?: string;
    /** @default 4568; 0 lets the OS pick. */
    port?: number;
    /** @default false */
    silent?: boolean;
    /** Where buckets and objects are stored (files). */
    directory?: string;
    /** Remove all buckets when the server closes. */
    resetOnClose?: boolean;
    /** @default true */
    vhostBuckets?: boolean;
    /** Buckets (and CORS/website XML configurations) created on `run()`, if missing. */
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  /** An S3 event notification as s3rver emits it (`Records[0]` only; keys are not encoded). */
  export interface S3rverEvent {
    Records: {
      eventVersion: string;
      eventSource: string;
      awsRegion: string;
      eventTime: string;
      eventName: string;
      userIdentity: { principalId: string };
      requestParameters: { sourceIPAddress: string };
      responseElements: Record<string, string>;
      s3: {
        s3SchemaVersion: string;
        configurationId: string;
        bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
        object: { key: string; sequencer: string; size?: number; eTag?: string };
      };
    }[];
  }

  /** The writing half of s3rver's `FilesystemStore` (the object controllers call these). */
  export interface S3rverStore {
    putObject(object: { bucket: string; key: string }): Promise<{ size: number; md5: string }>;
    copyObject(
      srcBucket: string,
      srcKey: string,
      destBucket: string,
      destKey: string,
      replacementMetadata?: unknown,
    ): Promise<unknown>;
    putObjectMultipart(bucket: string, uploadId: string, parts: unknown): Promise<unknown>;
    deleteObject(bucket: string, key: string): Promise<void>;
  }

  /** A Koa application (an EventEmitter) that emits `event` for every object change. */
  export default class S3rver extends EventEmitter {
    constructor(options?: S3rverOptions);
    /** The object store (files under `directory`); its methods may be wrapped before `run()`. */
    store: S3rverStore;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    on(event: 'event', listener: (event: S3rverEvent) => void): this;
    off(event: 'event', listener: (event: S3rverEvent) => void): this;
  }
}
