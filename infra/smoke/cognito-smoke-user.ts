/**
 * Throw-away smoke users in the stage's Cognito user pool (`infra/constructs/partner-user-pool.ts`):
 * created by an administrator with the smoke partner's id and the Partner.GlobalAdmin group,
 * signed in with `ADMIN_USER_PASSWORD_AUTH` (IAM-authorized, so only the operator's credentials
 * can use it), through the pool's required TOTP set-up, and deleted after the run.
 */
import { randomBytes } from 'node:crypto';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  type AdminRespondToAuthChallengeCommandOutput,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  type CognitoIdentityProviderClient,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { Secret, TOTP } from 'otpauth';
import type { SmokeIdentity, SmokeUser } from './smoke-checks.js';

/** The group that makes the smoke user a partner administrator (create, read, withdraw). */
export const SMOKE_GROUP = 'Partner.GlobalAdmin';

export interface CognitoSmokeIdentityOptions {
  readonly client: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  /** The portal app client (it allows `ADMIN_USER_PASSWORD_AUTH`). */
  readonly clientId: string;
  /** @default the current time (TOTP codes) */
  readonly now?: () => number;
}

export class CognitoSmokeIdentity implements SmokeIdentity {
  constructor(private readonly options: CognitoSmokeIdentityOptions) {}

  async createUser(partnerId: string): Promise<SmokeUser> {
    const { client, userPoolId } = this.options;
    // The simulator address: Cognito sends nothing (SUPPRESS), and the name shows what it is.
    const username = `cpor-smoke-${randomBytes(6).toString('hex')}@simulator.amazonses.com`;
    const password = `Sm0ke!${randomBytes(18).toString('base64url')}`;
    await client.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: username,
        MessageAction: 'SUPPRESS',
        TemporaryPassword: password,
        UserAttributes: [
          { Name: 'email', Value: username },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'custom:partnerId', Value: partnerId },
        ],
      }),
    );
    const remove = async () => {
      await client.send(new AdminDeleteUserCommand({ UserPoolId: userPoolId, Username: username }));
    };
    try {
      await client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: userPoolId,
          Username: username,
          Password: password,
          Permanent: true,
        }),
      );
      await client.send(
        new AdminAddUserToGroupCommand({
          UserPoolId: userPoolId,
          Username: username,
          GroupName: SMOKE_GROUP,
        }),
      );
      return { accessToken: await this.signIn(username, password), remove };
    } catch (error) {
      await remove();
      throw error;
    }
  }

  /** Signs in, setting up the TOTP factor the pool requires, and returns the access token. */
  private async signIn(username: string, password: string): Promise<string> {
    const { client, userPoolId, clientId } = this.options;
    let step: Pick<
      AdminRespondToAuthChallengeCommandOutput,
      'ChallengeName' | 'Session' | 'AuthenticationResult'
    > = await client.send(
      new AdminInitiateAuthCommand({
        UserPoolId: userPoolId,
        ClientId: clientId,
        AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    );
    let totp: TOTP | undefined;
    // MFA_SETUP (a new user), then possibly SOFTWARE_TOKEN_MFA; nothing else is expected.
    for (let round = 0; round < 3 && !step.AuthenticationResult; round++) {
      if (step.ChallengeName === 'MFA_SETUP') {
        const associated = await client.send(new AssociateSoftwareTokenCommand({ Session: step.Session }));
        totp = new TOTP({ secret: Secret.fromBase32(associated.SecretCode ?? '') });
        const verified = await client.send(
          new VerifySoftwareTokenCommand({
            Session: associated.Session,
            UserCode: totp.generate({ timestamp: this.now() }),
            FriendlyDeviceName: 'cpor-smoke',
          }),
        );
        if (verified.Status !== 'SUCCESS') throw new Error(`Cognito refused the smoke user's TOTP set-up.`);
        step = await client.send(
          new AdminRespondToAuthChallengeCommand({
            UserPoolId: userPoolId,
            ClientId: clientId,
            ChallengeName: 'MFA_SETUP',
            Session: verified.Session,
            ChallengeResponses: { USERNAME: username },
          }),
        );
      } else if (step.ChallengeName === 'SOFTWARE_TOKEN_MFA' && totp) {
        step = await client.send(
          new AdminRespondToAuthChallengeCommand({
            UserPoolId: userPoolId,
            ClientId: clientId,
            ChallengeName: 'SOFTWARE_TOKEN_MFA',
            Session: step.Session,
            // The next period's code: Cognito refuses a code that was already used.
            ChallengeResponses: {
              USERNAME: username,
              SOFTWARE_TOKEN_MFA_CODE: totp.generate({ timestamp: this.now() + totp.period * 1000 }),
            },
          }),
        );
      } else {
        throw new Error(`Unexpected Cognito challenge ${step.ChallengeName ?? '(none)'} for the smoke user.`);
      }
    }
    const token = step.AuthenticationResult?.AccessToken;
    if (!token)
      throw new Error(`Cognito did not sign the smoke user in (${step.ChallengeName ?? 'no challenge'}).`);
    return token;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
