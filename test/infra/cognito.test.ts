/**
 * A stage that asks for Cognito: the stateful stack creates the user pool (4 role groups, the
 * `partnerId` attribute, the V2 pre-token trigger, the portal client) and the API trusts its
 * issuer and client id; cdk-nag passes with it.
 */
import type { PolicyViolation } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../functions/domain/claim.js';
import { nagPacks } from '../../infra/service-app.js';
import { buildServiceApp, stageContext } from './service-app-fixture.js';

const { jwtIssuer: _, jwtAudience: __, ...dev } = stageContext('dev');
const built = buildServiceApp('dev', {
  context: {
    stages: {
      dev: { ...dev, cognito: { callbackUrls: ['https://partners.cpor-claims.net/auth/callback'] } },
    },
  },
});
const stateful = Template.fromStack(built.stateful);
const stateless = Template.fromStack(built.stateless);

describe('Cognito user pool of a stage', () => {
  it('is invitation-only, MFA-required, Essentials (access-token customization), retained', () => {
    stateful.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        UserPoolTier: 'ESSENTIALS',
        Schema: Match.arrayWith([
          Match.objectLike({ Name: 'partnerId', AttributeDataType: 'String', Mutable: true }),
        ]),
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('has a group per API role', () => {
    const groups = Object.values(stateful.findResources('AWS::Cognito::UserPoolGroup')).map(
      (g) => g.Properties.GroupName,
    );
    expect(groups.sort()).toEqual([...ROLES].sort());
  });

  it('runs the cognito-pre-token function as the V2 pre-token-generation trigger', () => {
    const fnId = built.stateful.getLogicalId(
      built.stateful.partnerUserPool?.preTokenTrigger.function.node.defaultChild as never,
    );
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: {
        PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, LambdaVersion: 'V2_0' },
      },
    });
  });

  it('gives the portals a public client that cannot write partnerId', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://partners.cpor-claims.net/auth/callback'],
      WriteAttributes: Match.not(Match.arrayWith(['custom:partnerId'])),
      ReadAttributes: Match.arrayWith(['custom:partnerId']),
    });
  });

  it("makes the API trust the pool's issuer and the portal client id", () => {
    const authorizer = Object.values(stateless.findResources('AWS::ApiGatewayV2::Authorizer'))[0];
    const config = JSON.stringify(authorizer?.Properties.JwtConfiguration);
    const poolId = built.stateful.getLogicalId(
      built.stateful.partnerUserPool?.userPool.node.defaultChild as never,
    );
    const clientId = built.stateful.getLogicalId(
      built.stateful.partnerUserPool?.portalClient.node.defaultChild as never,
    );
    expect(config).toContain(`FnGetAtt${poolId}ProviderURL`);
    expect(config).toContain(`Ref${clientId}`);
  });

  it('passes cdk-nag (every finding acknowledged with a reason)', () => {
    built.app.synth();
    const findings = nagPacks().flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.flatMap((v: PolicyViolation) =>
          v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
        ),
    );
    expect(findings).toEqual([]);
  });
});
