/**
 * The single-table layout, shared by the CDK stateful stack and the local cloud's table
 * creation so both build the same keys and indexes. See README "Key design".
 *
 * Base table (pk, sk):
 *   CLAIM#<id> | CLAIM                the claim
 *   CLAIM#<id> | HIST#<seq:10>        history events (append-only, hash-chained)
 *   CLAIM#<id> | DOC#<docId>          PoE documents
 *   CLAIM#<id> | OUTBOX#<seq:10>      outbox events for the stream relay (expire via TTL)
 *
 * Global secondary indexes (all project ALL so a page of claims is one Query):
 *   byPartner        P#<partnerId>                | <createdAt>#<id>     partner list, newest first
 *   byPartnerStatus  P#<partnerId>#S#<status>     | <createdAt>#<id>     partner list by status
 *   byStatus         S#<status>#<shard>           | <statusSince>#<id>   reviewer list / queue by status
 *   byShard          ALL#<shard>                  | <createdAt>#<id>     reviewer list, all claims
 *   byTenant         T#<tenantId>                 | <createdAt>#<id>     customer filter and conflicts
 *
 * The reviewer indexes are write-sharded (`REVIEWER_INDEX_SHARDS` partitions chosen by a
 * hash of the claim id) so no single partition key takes every claim's writes; a reviewer
 * page queries every shard and merges.
 */

export const KEY = { partition: 'pk', sort: 'sk' } as const;
export const TTL_ATTRIBUTE = 'expiresAt';

export const INDEXES = {
  byPartner: { partition: 'gsi1pk', sort: 'gsi1sk' },
  byPartnerStatus: { partition: 'gsi2pk', sort: 'gsi2sk' },
  byStatus: { partition: 'gsi3pk', sort: 'gsi3sk' },
  byShard: { partition: 'gsi4pk', sort: 'gsi4sk' },
  byTenant: { partition: 'gsi5pk', sort: 'gsi5sk' },
} as const;
export type IndexName = keyof typeof INDEXES;

export const REVIEWER_INDEX_SHARDS = 4;

/** Every key attribute is a string. */
export const KEY_ATTRIBUTE_TYPE = 'S' as const;

/**
 * Idempotency records (Powertools idempotency, `DynamoDBPersistenceLayer` defaults) live in
 * a table of their own: the persistence layer keys on a single `id` attribute, and a shared
 * static partition key in the main table would make one hot partition of every POST.
 */
export const IDEMPOTENCY_TABLE = { partition: 'id', ttl: 'expiration' } as const;
