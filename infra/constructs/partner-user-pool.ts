/**
 * Amazon Cognito as the stage's identity provider: a user pool with one group per API role, an
 * administrator-set `partnerId` custom attribute, the pre-token-generation trigger (V2) that
 * puts both into access tokens, and an app client for the portals (authorization code with
 * PKCE, no secret). The API's JWT authorizer then trusts the pool's issuer and the client id.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolGroup,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROLES } from '../../functions/domain/claim.js';
import { ServiceFunction } from './service-function.js';

export interface PartnerUserPoolProps {
  /** Where the portals receive the authorization code. */
  readonly callbackUrls: readonly string[];
  /** Where the portals land after sign-out; default: the callback URLs. */
  readonly logoutUrls?: readonly string[];
  readonly logRetention: RetentionDays;
}

export class PartnerUserPool extends Construct {
  readonly userPool: UserPool;
  readonly portalClient: UserPoolClient;
  readonly preTokenTrigger: ServiceFunction;
  /** The `iss` of the pool's tokens. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: PartnerUserPoolProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      // Access-token customization (pre-token-generation V2) needs Essentials or Plus.
      featurePlan: FeaturePlan.ESSENTIALS,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      customAttributes: { partnerId: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }) },
      deletionProtection: true,
      // Users and their partner assignments outlive the stack; no fixed name, so no collision.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge(
      ...['AwsSolutions-COG3', 'AwsSolutions-COG8'].map((ruleId) => ({
        id: ruleId,
        reason:
          'Threat protection (advanced security) needs the Plus feature plan, billed per active user; Essentials is enough for the access-token customization, and MFA is required for every user instead. Switch featurePlan to PLUS to enforce threat protection.',
      })),
    );

    for (const role of ROLES) {
      new UserPoolGroup(this, `Group${role.replace(/\W/g, '')}`, {
        userPool: this.userPool,
        groupName: role,
        description: `CPOR claims API role ${role}`,
      });
    }

    this.preTokenTrigger = new ServiceFunction(this, 'PreTokenGeneration', {
      entryName: 'cognito-pre-token',
      description: 'CPOR claims: adds partnerId and roles to Cognito access tokens',
      logRetention: props.logRetention,
      timeout: Duration.seconds(5),
    });
    Validations.of(this.preTokenTrigger).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by Cognito during sign-in: a failure fails that sign-in; a DLQ only serves asynchronous invocations.',
    });
    this.userPool.addTrigger(
      UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      this.preTokenTrigger.function,
      LambdaVersion.V2_0,
    );

    // Users may read their partner id but never set it: only administrators assign partners.
    const standard = { email: true, emailVerified: true, fullname: true };
    this.portalClient = this.userPool.addClient('PortalClient', {
      generateSecret: false,
      // SRP for the portals; admin password sign-in only for the post-deploy smoke test
      // (`npm run smoke`): it needs IAM credentials (cognito-idp:AdminInitiateAuth), so the
      // public client gains nothing a browser could use.
      authFlows: { userSrp: true, adminUserPassword: true },
      preventUserExistenceErrors: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [...props.callbackUrls],
        logoutUrls: [...(props.logoutUrls ?? props.callbackUrls)],
      },
      readAttributes: new ClientAttributes()
        .withStandardAttributes(standard)
        .withCustomAttributes('partnerId'),
      writeAttributes: new ClientAttributes().withStandardAttributes({ fullname: true }),
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
    });
    this.issuer = this.userPool.userPoolProviderUrl;
  }
}
