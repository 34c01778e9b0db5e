/**
 * The local stand-in for the identity provider behind the API Gateway JWT authorizer: one
 * ES256 key pair, kept as a JWK under the data folder so tokens survive restarts, that signs
 * dev tokens (`POST /_local/token`) and verifies bearer tokens in the local HTTP adapter.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import { PARTNER_ROLES, ROLES } from '../../functions/domain/claim.js';

export const LOCAL_ISSUER = 'cpor-local';
export const LOCAL_AUDIENCE = 'cpor-api';
export const TOKEN_LIFETIME_SECONDS = 3600;
const ALGORITHM = 'ES256';
const KEY_FILE = 'local-jwt-signing-key.json';

/** Body of `POST /_local/token`; unknown fields are refused like everywhere in the API. */
export const tokenRequestSchema = z
  .strictObject({
    sub: z.string().trim().min(1).max(256),
    partnerId: z.string().trim().min(1).max(128).optional(),
    // May be empty: a token without roles is how a 403 is tried out.
    roles: z.array(z.enum(ROLES)).transform((roles) => [...new Set(roles)]),
  })
  .refine((request) => request.partnerId !== undefined || !request.roles.some(isPartnerRole), {
    message: `is required with a partner role (${PARTNER_ROLES.join(', ')})`,
    path: ['partnerId'],
  });
export type TokenRequest = z.input<typeof tokenRequestSchema>;

function isPartnerRole(role: string): boolean {
  return (PARTNER_ROLES as readonly string[]).includes(role);
}

/** The verified claims of a token, as jose returns them (arrays stay arrays). */
export type VerifiedClaims = JWTPayload & Record<string, unknown>;

export interface LocalAuth {
  /** Validates the request (throws a `ZodError` if invalid) and signs a token valid for 1 h. */
  issueToken(request: TokenRequest): Promise<string>;
  /** Verifies signature (ES256, this key only), issuer, audience and expiry; throws otherwise. */
  verifyToken(token: string): Promise<VerifiedClaims>;
  /** The public key, as a JWKS would publish it. */
  publicJwk: JWK;
}

/** Where the signing key of a data folder lives (a private JWK, file mode 0600). */
export function signingKeyPath(dataDir: string): string {
  return join(dataDir, KEY_FILE);
}

/**
 * The local auth of a data folder: loads its key, or generates and stores one when missing.
 * Without `dataDir` the key lives in memory only (tests).
 */
export async function createLocalAuth(options: { dataDir?: string } = {}): Promise<LocalAuth> {
  const privateJwk = options.dataDir ? await loadOrCreateKey(options.dataDir) : await generateJwk();
  const { d: _private, ...publicJwk } = privateJwk;
  const privateKey = await importJWK(privateJwk, ALGORITHM);
  // A JWKS, not a bare key, so the token's `kid` must name this key, as with API Gateway.
  const keySet = createLocalJWKSet({ keys: [publicJwk] });

  return {
    publicJwk,
    async issueToken(request) {
      const { sub, partnerId, roles } = tokenRequestSchema.parse(request);
      return (
        new SignJWT({ roles, ...(partnerId !== undefined && { partnerId }) })
          .setProtectedHeader({ alg: ALGORITHM, kid: privateJwk.kid, typ: 'JWT' })
          .setSubject(sub)
          .setIssuer(LOCAL_ISSUER)
          .setAudience(LOCAL_AUDIENCE)
          .setIssuedAt()
          .setJti(randomUUID())
          // Real time, not the virtual clock: the cloud authorizer checks expiry against real time.
          .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
          .sign(privateKey)
      );
    },
    async verifyToken(token) {
      const { payload } = await jwtVerify(token, keySet, {
        algorithms: [ALGORITHM],
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      });
      return payload as VerifiedClaims;
    },
  };
}

async function generateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: ALGORITHM, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

async function loadOrCreateKey(dataDir: string): Promise<JWK> {
  const file = signingKeyPath(dataDir);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    try {
      const jwk = JSON.parse(text) as JWK;
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.kid)
        throw new Error('not a P-256 private JWK');
      return jwk;
    } catch (error) {
      throw new Error(
        `The local signing key ${file} is unreadable (${(error as Error).message}); delete it or start with --fresh.`,
      );
    }
  }
  const jwk = await generateJwk();
  mkdirSync(dataDir, { recursive: true });
  // Write then rename, so a crash never leaves half a key behind.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
  return jwk;
}
