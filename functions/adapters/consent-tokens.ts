/**
 * The customer's opt-out links. A token is 256 bits derived with HMAC from the secret and
 * the outbox event that asked for the consent email, so a redelivered event yields the same
 * link; only the token's SHA-256 is stored (`CONSENT#<hash> | CONSENT`), bound to the claim
 * and its consent window. The token itself lives only in the customer's email.
 */
import { createHash, createHmac } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsentLinks } from '../domain/ports/consent-tokens.js';
import type { OutboxEvent } from '../domain/ports/outbox.js';
import { KEY, TTL_ATTRIBUTE } from '../storage-layout/table-schema.js';

export interface ConsentTokenRecord {
  claimId: string;
  /** The consent window the token was issued for; it is useless after this instant. */
  endsAt: string;
  issuedAt: string;
  eventId: string;
}

const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * How long a token item outlives its consent window (TTL): a customer clicking late still gets
 * the "window over" page (410) for this long, then the link is unknown (404). The item is
 * operational only: the claim's history records the consent and any denial.
 */
export const CONSENT_TOKEN_RETENTION_SECONDS = 90 * 24 * 3600;

export const hashConsentToken = (token: string) => createHash('sha256').update(token).digest('hex');
const tokenKey = (hash: string) => ({ [KEY.partition]: `CONSENT#${hash}`, [KEY.sort]: 'CONSENT' });

/** Reads token records: all the consent page needs (it never issues tokens). */
export class ConsentTokenReader {
  constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly tableName: string,
  ) {}

  /** The record of a token, or `undefined` for a malformed or unknown one. */
  async lookup(token: string): Promise<ConsentTokenRecord | undefined> {
    if (!TOKEN_FORMAT.test(token)) return undefined;
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: tokenKey(hashConsentToken(token)),
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const { claimId, endsAt, issuedAt, eventId } = Item as ConsentTokenRecord;
    return { claimId, endsAt, issuedAt, eventId };
  }
}

/** Issues opt-out links for the relay's consent emails. */
export class ConsentTokens extends ConsentTokenReader implements ConsentLinks {
  constructor(
    client: DynamoDBDocumentClient,
    tableName: string,
    private readonly secret: string,
    /** e.g. `https://claims.example.com` — where `/consent/{token}` is served. */
    private readonly publicBaseUrl: string,
  ) {
    super(client, tableName);
  }

  async linkFor(event: OutboxEvent): Promise<string> {
    const endsAt = event.claim.consent?.endsAt;
    if (!endsAt)
      throw new Error(`Outbox event ${event.eventId} asks for consent on a claim without a consent window.`);
    const token = createHmac('sha256', this.secret).update(`consent:${event.eventId}`).digest('base64url');
    const record: ConsentTokenRecord = {
      claimId: event.claimId,
      endsAt,
      issuedAt: event.at,
      eventId: event.eventId,
    };
    // Same event, same token, same item: a redelivery rewrites identical data.
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...tokenKey(hashConsentToken(token)),
          type: 'consentToken',
          ...record,
          [TTL_ATTRIBUTE]: Math.floor(Date.parse(endsAt) / 1000) + CONSENT_TOKEN_RETENTION_SECONDS,
        },
      }),
    );
    return `${this.publicBaseUrl.replace(/\/$/, '')}/consent/${token}`;
  }
}
