/**
 * The smoke test's AWS adapters, against clients that answer as CloudFormation and Cognito do
 * (no AWS account here): which calls they make, in which order, with what, and that a smoke
 * user never outlives a failed run.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { CognitoSmokeIdentity, SMOKE_GROUP } from '../../infra/smoke/cognito-smoke-user.js';
import { readStageOutputs } from '../../infra/smoke/stack-outputs.js';

interface Sent {
  command: string;
  input: Record<string, unknown>;
}

/** A client whose `send` records each command and answers from `answers` (by command name). */
function fakeClient<T>(answers: Record<string, (input: Record<string, unknown>) => unknown>) {
  const sent: Sent[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    },
  };
  return { client: client as unknown as T, sent };
}

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const NOW = Date.parse('2026-12-01T21:00:00Z');

function cognitoAnswers(overrides: Record<string, (input: Record<string, unknown>) => unknown> = {}) {
  return {
    AdminCreateUser: () => ({}),
    AdminSetUserPassword: () => ({}),
    AdminAddUserToGroup: () => ({}),
    AdminInitiateAuth: () => ({ ChallengeName: 'MFA_SETUP', Session: 's-1' }),
    AssociateSoftwareToken: () => ({ SecretCode: SECRET, Session: 's-2' }),
    VerifySoftwareToken: () => ({ Status: 'SUCCESS', Session: 's-3' }),
    AdminRespondToAuthChallenge: () => ({ AuthenticationResult: { AccessToken: 'access-token' } }),
    AdminDeleteUser: () => ({}),
    ...overrides,
  };
}

describe('CognitoSmokeIdentity', () => {
  it('creates a partner admin of the smoke partner, sets up TOTP, signs in, and deletes it on remove', async () => {
    const { client, sent } = fakeClient<CognitoIdentityProviderClient>(cognitoAnswers());
    const identity = new CognitoSmokeIdentity({
      client,
      userPoolId: 'eu-west-1_pool',
      clientId: 'portal',
      now: () => NOW,
    });
    const user = await identity.createUser('cpor-smoke');
    expect(user.accessToken).toBe('access-token');
    expect(sent.map((s) => s.command)).toEqual([
      'AdminCreateUser',
      'AdminSetUserPassword',
      'AdminAddUserToGroup',
      'AdminInitiateAuth',
      'AssociateSoftwareToken',
      'VerifySoftwareToken',
      'AdminRespondToAuthChallenge',
    ]);
    const [create, password, group, auth, , verify, respond] = sent;
    const username = create?.input.Username;
    expect(create?.input).toMatchObject({
      UserPoolId: 'eu-west-1_pool',
      MessageAction: 'SUPPRESS',
      UserAttributes: expect.arrayContaining([{ Name: 'custom:partnerId', Value: 'cpor-smoke' }]),
    });
    expect(password?.input).toMatchObject({ Username: username, Permanent: true });
    expect(group?.input).toMatchObject({ Username: username, GroupName: SMOKE_GROUP });
    expect(auth?.input).toMatchObject({
      AuthFlow: 'ADMIN_USER_PASSWORD_AUTH',
      ClientId: 'portal',
      AuthParameters: { USERNAME: username, PASSWORD: password?.input.Password },
    });
    // The code an authenticator app shows for the secret Cognito handed out, at that moment.
    const expected = new TOTP({ secret: Secret.fromBase32(SECRET) }).generate({ timestamp: NOW });
    expect(verify?.input).toMatchObject({ Session: 's-2', UserCode: expected });
    expect(respond?.input).toMatchObject({ ChallengeName: 'MFA_SETUP', Session: 's-3' });

    await user.remove();
    expect(sent.at(-1)).toEqual({
      command: 'AdminDeleteUser',
      input: { UserPoolId: 'eu-west-1_pool', Username: username },
    });
  });

  it('deletes the user it created when the sign-in fails', async () => {
    const { client, sent } = fakeClient<CognitoIdentityProviderClient>(
      cognitoAnswers({ VerifySoftwareToken: () => ({ Status: 'ERROR' }) }),
    );
    const identity = new CognitoSmokeIdentity({ client, userPoolId: 'p', clientId: 'c', now: () => NOW });
    await expect(identity.createUser('cpor-smoke')).rejects.toThrow(/TOTP/);
    expect(sent.at(-1)?.command).toBe('AdminDeleteUser');
    expect(sent.at(-1)?.input.Username).toBe(sent[0]?.input.Username);
  });
});

describe('readStageOutputs', () => {
  const stacks: Record<
    string,
    { StackStatus: string; Outputs: { OutputKey: string; OutputValue: string }[] }
  > = {
    'CporClaims-dev-Stateful': {
      StackStatus: 'UPDATE_COMPLETE',
      Outputs: [
        { OutputKey: 'UserPoolId', OutputValue: 'eu-west-1_abc' },
        { OutputKey: 'PortalClientId', OutputValue: 'client-1' },
      ],
    },
    'CporClaims-dev-Stateless': {
      StackStatus: 'CREATE_COMPLETE',
      Outputs: [{ OutputKey: 'ApiUrl', OutputValue: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com/' }],
    },
  };

  it("reads the API URL and the Cognito pool from the stage's two stacks", async () => {
    const { client, sent } = fakeClient<CloudFormationClient>({
      DescribeStacks: (input) => ({ Stacks: [stacks[String(input.StackName)]] }),
    });
    expect(await readStageOutputs(client, 'dev')).toEqual({
      apiUrl: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com/',
      cognito: { userPoolId: 'eu-west-1_abc', portalClientId: 'client-1' },
    });
    expect(sent.map((s) => s.input.StackName).sort()).toEqual([
      'CporClaims-dev-Stateful',
      'CporClaims-dev-Stateless',
    ]);
  });

  it('refuses a stack that is not deployed', async () => {
    const { client } = fakeClient<CloudFormationClient>({
      DescribeStacks: (input) => ({
        Stacks: [{ ...stacks[String(input.StackName)], StackStatus: 'UPDATE_ROLLBACK_COMPLETE' }],
      }),
    });
    await expect(readStageOutputs(client, 'dev')).rejects.toThrow(/UPDATE_ROLLBACK_COMPLETE, not deployed/);
  });
});
