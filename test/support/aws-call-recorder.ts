/**
 * An endpoint in front of the emulators that records, per function, every AWS request the
 * function's code sends, as the IAM authorization requests AWS makes of it: action, resource
 * ARN and the condition keys the policies use. One recorder per function: its bundle gets the
 * recorder as `AWS_ENDPOINT_URL`, so every SDK client in it (and every URL it presigns) comes
 * here; the request is then forwarded by its SigV4 signing name to the emulator of that service
 * (DynamoDB Local, s3rver, aws-ses-v2-local) or answered by a stub where this machine has none.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One authorization request: what IAM must allow for the call to succeed in AWS. */
export interface AuthorizationRequest {
  /** e.g. `dynamodb:Query`. */
  action: string;
  /** e.g. `arn:aws:dynamodb:eu-west-1:123456789012:table/t/index/byPartner`. */
  resource: string;
  /** Condition keys with their values in this request (`ses:FromAddress`, `s3:prefix`). */
  context: Record<string, string>;
}

export interface RecordedCall extends AuthorizationRequest {
  /** The function whose credentials signed the request. */
  functionName: string;
  /** API operation, e.g. `TransactWriteItems`, `PostObject`. */
  operation: string;
}

/** Where the account's resources live in the ARNs (the resolver of the templates uses the same). */
export interface ArnScope {
  region: string;
  account: string;
}

/** An answer a stub (or an injected fault) gives instead of an emulator. */
export interface StubResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface RecorderTargets {
  /** Emulator base URLs by SigV4 signing name (`dynamodb`, `s3`, `ses`). */
  upstreams: Record<string, string>;
  /** Stubs by signing name (`states`, `events`, `secretsmanager`): operation and JSON input → answer. */
  stubs: Record<string, (operation: string, input: Record<string, unknown>) => StubResponse>;
}

export interface CallRecorder {
  /** `http://127.0.0.1:<port>`: the function's `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  /**
   * The next call of `service`/`operation` gets `response` instead of reaching the emulator
   * (the call is recorded all the same: AWS authorizes a request before it fails).
   */
  failNext(service: string, operation: string, response: StubResponse): void;
  stop(): Promise<void>;
}

export interface RecorderOptions extends RecorderTargets {
  functionName: string;
  scope: ArnScope;
  /**
   * Whether the function's policy allows a request. Used where AWS's answer depends on it and
   * the emulator's does not: S3 answers a GET or HEAD of a missing key with 404 only to callers
   * allowed `s3:ListBucket` (with `s3:prefix` = the key), else with 403 AccessDenied; s3rver
   * always answers 404, so without the permission the recorder answers 403 as S3 would.
   */
  isAllowed(request: AuthorizationRequest): boolean;
}

export async function startCallRecorder(options: RecorderOptions): Promise<CallRecorder> {
  const calls: RecordedCall[] = [];
  const faults: { service: string; operation: string; response: StubResponse }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      void (async () => {
        const parsed = parseRequest(req, body, options.scope);
        const requests = parsed.requests.map((r) => ({
          ...r,
          functionName: options.functionName,
          operation: parsed.operation,
        }));
        calls.push(...requests);
        const faultIndex = faults.findIndex(
          (f) => f.service === parsed.service && f.operation === parsed.operation,
        );
        if (faultIndex >= 0) {
          const [fault] = faults.splice(faultIndex, 1);
          return fault?.response;
        }
        const stub = options.stubs[parsed.service];
        if (stub) return stub(parsed.operation, parsed.input);
        const upstream = options.upstreams[parsed.service];
        if (!upstream) {
          return {
            status: 400,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ message: `No emulator for ${parsed.service} (${parsed.operation})` }),
          };
        }
        const answer = await forward(upstream, req, body);
        if (parsed.service === 's3' && answer.status === 404 && parsed.objectKey !== undefined) {
          // S3 decides 404 or 403 by s3:ListBucket on the bucket, with the key as s3:prefix.
          const listBucket: AuthorizationRequest = {
            action: 's3:ListBucket',
            resource: `arn:aws:s3:::${parsed.bucket}`,
            context: { 's3:prefix': parsed.objectKey },
          };
          calls.push({
            ...listBucket,
            functionName: options.functionName,
            operation: `${parsed.operation} (404)`,
          });
          if (!options.isAllowed(listBucket)) {
            return {
              status: 403,
              headers: { 'content-type': 'application/xml' },
              body:
                req.method === 'HEAD'
                  ? ''
                  : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
            };
          }
        }
        return answer;
      })().then(
        (answer) => {
          res.writeHead(answer?.status ?? 500, answer?.headers);
          res.end(answer?.body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    failNext(service, operation, response) {
      faults.push({ service, operation, response });
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface ParsedRequest {
  service: string;
  operation: string;
  input: Record<string, unknown>;
  requests: AuthorizationRequest[];
  bucket?: string;
  objectKey?: string;
}

/** The signing name of a SigV4 request: from its Authorization header, query or POST form. */
function signingServiceOf(req: IncomingMessage, url: URL, body: Buffer): string {
  const credential =
    /Credential=([^,\s]+)/.exec(req.headers.authorization ?? '')?.[1] ??
    url.searchParams.get('X-Amz-Credential') ??
    /name="X-Amz-Credential"\r\n\r\n([^\r]+)/i.exec(body.toString('latin1'))?.[1];
  // <key id>/<date>/<region>/<service>/aws4_request
  return credential?.split('/')[3] ?? 'unknown';
}

function parseRequest(req: IncomingMessage, body: Buffer, scope: ArnScope): ParsedRequest {
  const url = new URL(req.url ?? '/', 'http://recorder');
  const service = signingServiceOf(req, url, body);
  const arn = (svc: string, resource: string) =>
    `arn:aws:${svc}:${scope.region}:${scope.account}:${resource}`;
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const operation = target.split('.').pop() ?? target;
    const input = (body.length > 0 ? JSON.parse(body.toString('utf8')) : {}) as Record<string, unknown>;
    return { service, operation, input, requests: jsonProtocolRequests(service, operation, input, arn) };
  }
  if (service === 's3') return s3Request(req, url, body);
  if (service === 'ses') {
    const form = new URLSearchParams(body.toString('utf8'));
    const operation = form.get('Action') ?? 'unknown';
    const source = form.get('Source') ?? '';
    const identity = source.split('@')[1] ?? source;
    const configurationSet = form.get('ConfigurationSetName');
    const context = { 'ses:FromAddress': source };
    // SES authorizes a send against the sender's identity and the configuration set it names.
    const requests = [
      { action: `ses:${operation}`, resource: arn('ses', `identity/${identity}`), context },
      ...(configurationSet
        ? [
            {
              action: `ses:${operation}`,
              resource: arn('ses', `configuration-set/${configurationSet}`),
              context,
            },
          ]
        : []),
    ];
    return { service, operation, input: Object.fromEntries(form), requests };
  }
  return {
    service,
    operation: `${req.method} ${url.pathname}`,
    input: {},
    requests: [{ action: `${service}:Unknown`, resource: url.pathname, context: {} }],
  };
}

type ArnOf = (service: string, resource: string) => string;

function jsonProtocolRequests(
  service: string,
  operation: string,
  input: Record<string, unknown>,
  arn: ArnOf,
): AuthorizationRequest[] {
  const request = (action: string, resource: string): AuthorizationRequest => ({
    action,
    resource,
    context: {},
  });
  if (service === 'dynamodb') {
    const table = (name: unknown, index?: unknown) =>
      arn('dynamodb', `table/${String(name)}${index ? `/index/${String(index)}` : ''}`);
    if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
      // A transaction is authorized per contained item, by that item's own action.
      const actions: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
        Get: 'GetItem',
      };
      return (input.TransactItems as Record<string, { TableName: string }>[]).flatMap((item) =>
        Object.entries(item).map(([kind, part]) =>
          request(`dynamodb:${actions[kind] ?? kind}`, table(part.TableName)),
        ),
      );
    }
    if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
      return Object.keys(input.RequestItems as object).map((name) =>
        request(`dynamodb:${operation}`, table(name)),
      );
    }
    return [request(`dynamodb:${operation}`, table(input.TableName, input.IndexName))];
  }
  if (service === 'states') {
    return [request(`states:${operation}`, String(input.stateMachineArn ?? input.executionArn))];
  }
  if (service === 'events') {
    const buses = new Set(
      (input.Entries as { EventBusName?: string }[]).map((e) => e.EventBusName ?? 'default'),
    );
    return [...buses].map((bus) =>
      request(`events:${operation}`, bus.startsWith('arn:') ? bus : arn('events', `event-bus/${bus}`)),
    );
  }
  if (service === 'secretsmanager') {
    return [request(`secretsmanager:${operation}`, String(input.SecretId))];
  }
  return [request(`${service}:${operation}`, '*')];
}

/** S3's REST operations by method, path (path-style: `/bucket/key`) and sub-resource. */
function s3Request(req: IncomingMessage, url: URL, body: Buffer): ParsedRequest {
  const [, bucket = '', ...keyParts] = url.pathname.split('/');
  // The SDK lists a bucket at `/bucket/?list-type=2`: an empty key is the bucket itself.
  const key = keyParts.join('/') !== '' ? decodeURIComponent(keyParts.join('/')) : undefined;
  const object = (k: string) => `arn:aws:s3:::${bucket}/${k}`;
  const method = req.method ?? 'GET';
  const base = { service: 's3', input: {}, bucket };
  const one = (
    operation: string,
    action: string,
    resource: string,
    context: Record<string, string> = {},
  ) => ({
    ...base,
    operation,
    requests: [{ action, resource, context }],
    ...(key !== undefined && { objectKey: key }),
  });
  if (key === undefined) {
    if (method === 'POST' && !url.searchParams.has('delete')) {
      // A browser's form upload with a presigned POST policy: authorized as the signer's PutObject.
      const formKey = /name="key"\r\n\r\n([^\r]*)\r\n/.exec(body.toString('latin1'))?.[1] ?? '';
      return { ...one('PostObject', 's3:PutObject', object(formKey)), objectKey: undefined };
    }
    if (method === 'GET' || method === 'HEAD') {
      return one(method === 'GET' ? 'ListObjects' : 'HeadBucket', 's3:ListBucket', `arn:aws:s3:::${bucket}`, {
        's3:prefix': url.searchParams.get('prefix') ?? '',
      });
    }
    return one(`${method} bucket`, `s3:Unknown${method}Bucket`, `arn:aws:s3:::${bucket}`);
  }
  if (url.searchParams.has('tagging')) {
    if (method === 'GET') return one('GetObjectTagging', 's3:GetObjectTagging', object(key));
    if (method === 'PUT') return one('PutObjectTagging', 's3:PutObjectTagging', object(key));
  }
  if (method === 'GET') return one('GetObject', 's3:GetObject', object(key));
  if (method === 'HEAD') return one('HeadObject', 's3:GetObject', object(key));
  if (method === 'DELETE') return one('DeleteObject', 's3:DeleteObject', object(key));
  if (method === 'PUT') {
    const source = req.headers['x-amz-copy-source'];
    if (typeof source === 'string') {
      return {
        ...one('CopyObject', 's3:PutObject', object(key)),
        requests: [
          { action: 's3:PutObject', resource: object(key), context: {} },
          {
            action: 's3:GetObject',
            resource: `arn:aws:s3:::${decodeURIComponent(source.replace(/^\//, ''))}`,
            context: {},
          },
        ],
      };
    }
    return one('PutObject', 's3:PutObject', object(key));
  }
  return one(`${method} object`, `s3:Unknown${method}`, object(key));
}

async function forward(upstream: string, req: IncomingMessage, body: Buffer): Promise<StubResponse> {
  const target = new URL(req.url ?? '/', upstream);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            // The body is sent whole, with its own length.
            if (value === undefined || name === 'transfer-encoding' || name === 'connection') continue;
            headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: response.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * Stubs that answer as Step Functions, EventBridge and Secrets Manager do (the responses the
 * SDK's contract defines), for services without an emulator on this machine.
 */
export function serviceStubs(secrets: Record<string, string>): RecorderTargets['stubs'] {
  const json = (status: number, value: unknown): StubResponse => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(value),
  });
  return {
    states: (operation, input) => {
      if (operation === 'StartExecution') {
        const machine = String(input.stateMachineArn);
        return json(200, {
          executionArn: `${machine.replace(':stateMachine:', ':execution:')}:${String(input.name ?? randomUUID())}`,
          startDate: Date.now() / 1000,
        });
      }
      if (operation === 'StopExecution') return json(200, { stopDate: Date.now() / 1000 });
      return json(400, { __type: 'UnknownOperationException', message: operation });
    },
    events: (operation, input) => {
      if (operation !== 'PutEvents')
        return json(400, { __type: 'UnknownOperationException', message: operation });
      const entries = input.Entries as unknown[];
      return json(200, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) });
    },
    secretsmanager: (operation, input) => {
      const id = String(input.SecretId);
      const value = secrets[id];
      if (operation !== 'GetSecretValue' || value === undefined) {
        return json(400, {
          __type: 'ResourceNotFoundException',
          message: `Secrets Manager can't find ${id}`,
        });
      }
      return json(200, { ARN: id, Name: id.split(':').pop(), SecretString: value, VersionId: randomUUID() });
    },
  };
}

/** The `x-amz-query` XML error SES v1 answers with, e.g. for an address it refuses. */
export function sesError(code: string, message: string): StubResponse {
  return {
    status: 400,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}
