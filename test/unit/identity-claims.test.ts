/**
 * The caller from a verified token, with tokens shaped exactly as each identity provider issues
 * them and as the handler receives them: API Gateway's HTTP API JWT authorizer passes every
 * claim as a string (arrays flattened to `[a b]`, numbers as text); the local adapter passes the
 * token's JSON values as they are.
 */
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { apiEnvironment, identityClaimsOf, readConfig } from '../../functions/config.js';
import { actorOf } from '../../functions/http/auth.js';
import {
  claimValues,
  DEFAULT_IDENTITY_CLAIMS,
  type IdentityClaimMapping,
} from '../../functions/http/identity-claims.js';
import { HttpProblemError, problemFor } from '../../functions/http/problem.js';

type Claims = Record<string, string | number | boolean | string[]>;

function event(claims: Claims): Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'> {
  return {
    requestContext: { authorizer: { jwt: { claims, scopes: [] } } },
  } as unknown as Pick<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'>;
}

/** What API Gateway's JWT authorizer hands the integration: every claim as a string. */
function throughApiGateway(token: Record<string, unknown>): Claims {
  return Object.fromEntries(
    Object.entries(token).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : String(v)]),
  );
}

function problemOf(run: () => unknown): HttpProblemError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpProblemError) return error;
    // The role rules are the domain's: map their errors as the API does.
    const { problem } = problemFor(error);
    return new HttpProblemError(problem.status, 'mapped', problem.title, problem.detail ?? '');
  }
  throw new Error('expected a problem');
}

/**
 * A Cognito user pool access token after this service's pre-token-generation trigger (V2
 * event): Cognito's own claims, `cognito:groups`, and the added `partnerId` and `roles`.
 * Cognito access tokens have no `aud`: API Gateway checks `client_id` against the audience.
 */
const cognitoAccessToken = {
  sub: '94e8d4b8-2071-70a3-1c2b-5e0f7a1d3c44',
  'cognito:groups': ['Partner.GlobalAdmin'],
  iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E',
  version: 2,
  client_id: '3q7b6bq1m2k5h0e4r8s9t1u2v3',
  origin_jti: 'a0f1c1a2-58a3-4b7e-9d1e-6b2c3d4e5f60',
  event_id: '7d2f0c1e-3b4a-4c5d-8e9f-0a1b2c3d4e5f',
  token_use: 'access',
  scope: 'openid email',
  auth_time: 1764608400,
  exp: 1764612000,
  iat: 1764608400,
  jti: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f',
  username: 'pat@fabrikam.com',
  partnerId: 'P-1001',
  roles: ['Partner.GlobalAdmin'],
};

/**
 * An Entra ID v2.0 access token for the API's app registration: `aud` is the API's client id,
 * app roles in `roles`, security groups as object ids in `groups`, the partner id as a
 * directory-extension optional claim (`extn.partnerId`), delegated scopes in `scp`.
 */
const ENTRA_REVIEWERS_GROUP = '5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const entraAccessToken = {
  aud: '6b1e9c47-0d2a-4f8e-b3c5-91a7e2d4f608',
  iss: 'https://login.microsoftonline.com/3f0d6b2a-8c4e-4d1f-9a7b-2e5c1d0f4a86/v2.0',
  iat: 1764608400,
  nbf: 1764608400,
  exp: 1764612300,
  aio: 'AVQAq/8YAAAA',
  azp: 'c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b',
  azpacr: '0',
  name: 'Pat Partner',
  oid: '2b3c4d5e-6f70-4a8b-9c0d-1e2f3a4b5c6d',
  preferred_username: 'pat@fabrikam.com',
  rh: '1.AXkA',
  roles: ['CporClaims.Partner.GlobalAdmin', 'CporClaims.Partner.BillingAdmin'],
  groups: ['0d1e2f3a-4b5c-4d6e-8f70-1a2b3c4d5e6f'],
  scp: 'Claims.ReadWrite',
  sub: 'Qm9ZLr2xk1Tq5Yh7cW3vN8sJ0aFbEdGiHkLmOpRsTuV',
  tid: '3f0d6b2a-8c4e-4d1f-9a7b-2e5c1d0f4a86',
  uti: 'bWpZ3x',
  ver: '2.0',
  'extn.partnerId': 'P-2002',
};

/** The Entra recipe's stage configuration (README, "Identity providers"), as the API reads it. */
const entraMapping: IdentityClaimMapping = identityClaimsOf(
  readConfig(apiEnvironment, {
    TABLE_NAME: 't',
    IDEMPOTENCY_TABLE_NAME: 'i',
    CURSOR_SECRET: 'x'.repeat(32),
    DOCUMENTS_BUCKET_NAME: 'b',
    AUTH_PARTNER_ID_CLAIM: 'extn.partnerId',
    AUTH_ROLE_CLAIMS: 'roles,groups',
    AUTH_ROLE_MAPPING: JSON.stringify({
      'CporClaims.Partner.GlobalAdmin': 'Partner.GlobalAdmin',
      'CporClaims.Partner.BillingAdmin': 'Partner.BillingAdmin',
      'CporClaims.Reviewer': 'Reviewer',
      [ENTRA_REVIEWERS_GROUP]: 'Reviewer',
    }),
  }),
);

describe('Amazon Cognito access tokens (default claim names)', () => {
  it('through API Gateway: a partner with the partner id the trigger added', () => {
    expect(actorOf(event(throughApiGateway(cognitoAccessToken)))).toEqual({
      kind: 'partner',
      sub: cognitoAccessToken.sub,
      partnerId: 'P-1001',
    });
  });

  it('with several groups flattened to "[a b]", a reviewer wins', () => {
    const token = { ...cognitoAccessToken, roles: ['Partner.GlobalAdmin', 'Reviewer'] };
    // …keeping its own partner, so it cannot decide that partner's claims (issue 10, item 9).
    expect(actorOf(event(throughApiGateway(token)))).toEqual({
      kind: 'reviewer',
      sub: token.sub,
      ownPartnerId: 'P-1001',
    });
  });

  it('read locally (JSON arrays as they are)', () => {
    expect(actorOf(event(cognitoAccessToken as unknown as Claims))).toMatchObject({ partnerId: 'P-1001' });
  });

  it('without the partner id (a user not yet assigned one): a 403 naming the claim', () => {
    const { partnerId: _, ...token } = cognitoAccessToken;
    const problem = problemOf(() => actorOf(event(throughApiGateway(token))));
    expect(problem.status).toBe(403);
    expect(problem.message).toMatch(/partner id in the claim "partnerId"/);
  });

  it('with the default mapping ignores cognito:groups it was not told to read', () => {
    const { roles: _, ...token } = cognitoAccessToken;
    const problem = problemOf(() => actorOf(event(throughApiGateway(token)), DEFAULT_IDENTITY_CLAIMS));
    expect(problem.status).toBe(403);
    expect(problem.message).toMatch(/none of the roles this API knows .* in "roles"/);
  });
});

describe('Microsoft Entra ID v2.0 access tokens (the README recipe)', () => {
  it('through API Gateway: app roles mapped, partner id from the extension claim', () => {
    expect(actorOf(event(throughApiGateway(entraAccessToken)), entraMapping)).toEqual({
      kind: 'partner',
      sub: entraAccessToken.sub,
      partnerId: 'P-2002',
    });
  });

  it('a member of the reviewers group (object id in groups) is a reviewer, without app roles', () => {
    const token = { ...entraAccessToken, roles: [], groups: [ENTRA_REVIEWERS_GROUP], 'extn.partnerId': '' };
    expect(actorOf(event(throughApiGateway(token)), entraMapping)).toEqual({
      kind: 'reviewer',
      sub: token.sub,
    });
  });

  it('a directory-extension claim that arrives as a one-valued array is read', () => {
    const token = { ...entraAccessToken, 'extn.partnerId': ['P-2002'] };
    expect(actorOf(event(throughApiGateway(token)), entraMapping)).toMatchObject({ partnerId: 'P-2002' });
  });

  it('without the extension claim: a 403 naming it', () => {
    const { 'extn.partnerId': _, ...token } = entraAccessToken;
    const problem = problemOf(() => actorOf(event(throughApiGateway(token)), entraMapping));
    expect(problem.status).toBe(403);
    expect(problem.message).toMatch(/partner id in the claim "extn\.partnerId"/);
  });

  it('app roles the stage does not map grant nothing', () => {
    const token = { ...entraAccessToken, roles: ['SomeOtherApp.Admin'], groups: [] };
    expect(problemOf(() => actorOf(event(throughApiGateway(token)), entraMapping)).status).toBe(403);
  });
});

describe('claim values', () => {
  it.each([
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    ['[a b]', ['a', 'b']],
    ['["a","b"]', ['a', 'b']],
    ['a b', ['a', 'b']],
    ['a', ['a']],
    ['[]', []],
    ['', []],
    [undefined, []],
    [42, []],
  ])('%j → %j', (value, expected) => {
    expect(claimValues(value)).toEqual(expected);
  });
});
