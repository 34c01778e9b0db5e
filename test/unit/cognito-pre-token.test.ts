import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/cognito-pre-token.js';
import { actorOf } from '../../functions/http/auth.js';

/** A V2 pre-token-generation event as Cognito sends it on sign-in. */
function signIn(userAttributes: Record<string, string>, groups: string[]): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_Ab12Cd34E',
    userName: 'pat@fabrikam.com',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: '3q7b6bq1m2k5h0e4r8s9t1u2v3' },
    request: {
      userAttributes: {
        sub: '94e8d4b8-2071-70a3-1c2b-5e0f7a1d3c44',
        email: 'pat@fabrikam.com',
        ...userAttributes,
      },
      groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [], preferredRole: undefined },
      scopes: ['openid', 'email'],
    },
    response: { claimsAndScopeOverrideDetails: {} },
  } as PreTokenGenerationV2TriggerEvent;
}

describe('Cognito pre-token-generation trigger (V2)', () => {
  it('adds the partner id and the API roles among the groups to the access token', async () => {
    const event = await handler(
      signIn({ 'custom:partnerId': 'P-1001' }, ['Partner.GlobalAdmin', 'beta-testers']),
    );
    expect(event.response.claimsAndScopeOverrideDetails.accessTokenGeneration).toEqual({
      claimsToAddOrOverride: { partnerId: 'P-1001', roles: ['Partner.GlobalAdmin'] },
    });
  });

  it('adds no partner id for a user without one (the API then answers 403 naming the claim)', async () => {
    const event = await handler(signIn({}, ['Partner.GlobalAdmin']));
    const added = event.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.claimsToAddOrOverride;
    expect(added).toEqual({ roles: ['Partner.GlobalAdmin'] });
    // The token as API Gateway then passes it on.
    const claims = { sub: 'u', roles: '[Partner.GlobalAdmin]' };
    expect(() =>
      actorOf({ requestContext: { authorizer: { jwt: { claims, scopes: [] } } } } as never),
    ).toThrow(/partner id in the claim "partnerId"/);
  });

  it('makes a reviewer of a member of the Reviewer group', async () => {
    const event = await handler(signIn({}, ['Reviewer']));
    const added = event.response.claimsAndScopeOverrideDetails.accessTokenGeneration?.claimsToAddOrOverride;
    const roles = (added?.roles ?? []) as unknown as string[];
    const claims = { sub: 'rita', roles: `[${roles.join(' ')}]` };
    expect(actorOf({ requestContext: { authorizer: { jwt: { claims, scopes: [] } } } } as never)).toEqual({
      kind: 'reviewer',
      sub: 'rita',
    });
  });
});
