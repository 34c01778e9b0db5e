/**
 * Where the host of every link the service emails comes from: the stage's own API endpoint by
 * default, or its custom domain (API Gateway domain name, API mapping, DNS alias); partner
 * emails link to the stage's partner portal, or else to the console on that same host. The
 * emails are rendered through the relay with the relay's environment exactly as the template
 * gives it, with CloudFormation's deploy-time values filled in the way CloudFormation does.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ConsentTokens } from '../../functions/adapters/consent-tokens.js';
import { readConfig, relayEnvironment } from '../../functions/config.js';
import type { Claim } from '../../functions/domain/claim.js';
import type { EmailTemplate } from '../../functions/domain/lifecycle.js';
import type { RenderedEmail } from '../../functions/domain/ports/email.js';
import { relayOutboxEvent } from '../../functions/use-cases/relay-outbox.js';
import { emailSettingsOf } from '../../functions/wiring.js';
import type { ServiceApp } from '../../infra/service-app.js';
import { approvedClaim } from '../support/approved-claim.js';
import { buildServiceApp, stageContext } from './service-app-fixture.js';

const FAKE_API_ID = 'a1b2c3d4e5';
const FAKE_REGION = 'eu-west-1';

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/**
 * Resolves a template value the way CloudFormation would at deploy time, for the intrinsic
 * functions that reach a function's environment: an HTTP API's `ApiEndpoint` becomes its
 * execute-api URL, imports and other references an ARN-shaped stand-in.
 */
function resolveDeployed(value: unknown, resources: Record<string, { Type: string }>): string {
  if (typeof value === 'string') return value;
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt && resources[getAtt[0]]?.Type === 'AWS::ApiGatewayV2::Api' && getAtt[1] === 'ApiEndpoint') {
    return `https://${FAKE_API_ID}.execute-api.${FAKE_REGION}.amazonaws.com`;
  }
  return 'arn:aws:cloudformation:resolved-at-deploy';
}

function relayEnvironmentOf(built: ServiceApp): Record<string, unknown> {
  const fn = built.stateless.outboxRelay.function.function;
  const resource = Template.fromStack(built.stateless).toJSON().Resources[logicalId(built.stateless, fn)];
  return resource.Properties.Environment.Variables;
}

/** The email a transition of `claim` makes the deployed relay send, rendered with the template's environment. */
async function emailOf(
  built: ServiceApp,
  template: EmailTemplate = 'consentRequest',
  claim: Claim = approvedClaim,
): Promise<RenderedEmail> {
  const resources = Template.fromStack(built.stateless).toJSON().Resources;
  const environment = Object.fromEntries(
    Object.entries(relayEnvironmentOf(built)).map(([k, v]) => [k, resolveDeployed(v, resources)]),
  );
  const config = readConfig(relayEnvironment, environment);
  const sent: RenderedEmail[] = [];
  // The token item's write is the only table call on this path; it is not what is tested here.
  const documentClient = { send: async () => ({}) } as unknown as DynamoDBDocumentClient;
  await relayOutboxEvent(
    {
      timers: { start: async () => {}, stop: async () => {} },
      documents: { markFinal: async () => {} },
      mailer: {
        send: async (email) => {
          sent.push(email);
          return { messageId: 'm-1' };
        },
      },
      ledger: {
        acquire: async () => ({ outcome: 'acquired', leaseId: 'l-1' }),
        markSent: async () => {},
        release: async () => {},
      },
      publisher: { publish: async () => {} },
      consentLinks: new ConsentTokens(
        documentClient,
        config.TABLE_NAME,
        'k'.repeat(64),
        config.PUBLIC_BASE_URL,
      ),
      // As functions/outbox-relay.ts maps its environment.
      emailSettings: emailSettingsOf({
        publicBaseUrl: config.PUBLIC_BASE_URL,
        ...(config.PORTAL_URL && { portalUrl: config.PORTAL_URL }),
        businessCalendar: { timeZone: config.BUSINESS_CALENDAR_TIME_ZONE },
      }),
    },
    {
      eventId: 'e-1',
      claimId: claim.id,
      version: claim.version,
      at: claim.updatedAt,
      effects: [{ type: 'sendEmail', template }],
      claim,
    },
  );
  const [email] = sent;
  if (!email) throw new Error(`no ${template} email was sent`);
  return email;
}

/** A rejection the partner may dispute: its email links to the claim in the partner portal. */
const rejectedClaim: Claim = {
  ...approvedClaim,
  status: 'rejected',
  deadlines: { disputeBy: '2026-12-24T17:00:00.000Z' },
  consent: undefined,
  rejection: {
    reason: 'insufficientPoe',
    comment: 'Unsigned SOW',
    at: approvedClaim.updatedAt,
    final: false,
  },
};

/** The partner portal link of a partner email (the service's only link in it). */
function portalLinkOf(email: RenderedEmail): string {
  const link = /Open the claim in the partner portal:\n(\S+)\n/.exec(email.text)?.[1];
  if (!link) throw new Error(`no portal link in: ${email.text}`);
  return link;
}

function linkOf(email: RenderedEmail): URL {
  const link = email.text.match(/https:\/\/\S+\/consent\/\S+/)?.[0];
  if (!link) throw new Error(`no consent link in: ${email.text}`);
  return new URL(link);
}

describe('consent links without a custom domain (dev)', () => {
  const built = buildServiceApp('dev');
  const template = Template.fromStack(built.stateless);
  const apiEndpoint = { 'Fn::GetAtt': [logicalId(built.stateless, built.stateless.api.api), 'ApiEndpoint'] };

  it("take their host from the stage's own HTTP API endpoint", () => {
    expect(relayEnvironmentOf(built).PUBLIC_BASE_URL).toEqual(apiEndpoint);
    template.hasOutput('PublicBaseUrl', { Value: apiEndpoint });
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
  });

  it('point at that API in an email rendered with the template environment', async () => {
    const link = linkOf(await emailOf(built));
    expect(link.origin).toBe(`https://${FAKE_API_ID}.execute-api.${FAKE_REGION}.amazonaws.com`);
    expect(link.pathname).toMatch(/^\/consent\/[\w-]{43}$/);
  });

  it("give the consent deadline in the stage's business time zone, with the UTC instant", async () => {
    expect(relayEnvironmentOf(built).BUSINESS_CALENDAR_TIME_ZONE).toBe('America/Los_Angeles');
    expect((await emailOf(built)).text).toContain('Tue 1 Dec 2026, 9:00 AM PST (17:00 UTC)');
  });
});

describe("partner emails link to the claim in the stage's partner portal (dev)", () => {
  it('deep-link into the configured portalUrl', async () => {
    const built = buildServiceApp('dev');
    expect(relayEnvironmentOf(built).PORTAL_URL).toBe(stageContext('dev').portalUrl);
    const email = await emailOf(built, 'rejection', rejectedClaim);
    expect(portalLinkOf(email)).toBe(`${stageContext('dev').portalUrl}/claims/c-1`);
    expect(email.text).not.toContain('/v1/');
  });

  it("without a portalUrl, link to the console on the stage's API", async () => {
    const { portalUrl: _, ...dev } = stageContext('dev');
    const built = buildServiceApp('dev', { context: { stages: { dev } } });
    expect(relayEnvironmentOf(built)).not.toHaveProperty('PORTAL_URL');
    expect(portalLinkOf(await emailOf(built, 'rejection', rejectedClaim))).toBe(
      `https://${FAKE_API_ID}.execute-api.${FAKE_REGION}.amazonaws.com/console/claims/c-1`,
    );
  });
});

const devCustomDomain = {
  domainName: 'claims.dev.cpor-partners.net',
  hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'cpor-partners.net' },
};

describe('consent links with a custom domain and a hosted zone', () => {
  const dev = stageContext('dev');
  const built = buildServiceApp('dev', {
    context: { stages: { dev: { ...dev, customDomain: devCustomDomain } } },
  });
  const template = Template.fromStack(built.stateless);
  const domain = built.stateless.customDomain;
  const domainId = () => logicalId(built.stateless, domain?.domainName as IConstruct);

  it('creates the domain name with a certificate validated in the zone', () => {
    const certificate = domain?.certificate as IConstruct;
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'claims.dev.cpor-partners.net',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [
        { DomainName: 'claims.dev.cpor-partners.net', HostedZoneId: 'Z0123456789ABCDEFGHIJ' },
      ],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'claims.dev.cpor-partners.net',
      DomainNameConfigurations: [
        Match.objectLike({
          CertificateArn: { Ref: logicalId(built.stateless, certificate) },
          EndpointType: 'REGIONAL',
          SecurityPolicy: 'TLS_1_2',
        }),
      ],
    });
  });

  it("maps the whole domain to the API's $default stage", () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      ApiId: { Ref: logicalId(built.stateless, built.stateless.api.api) },
      DomainName: { Ref: domainId() },
      Stage: '$default',
    });
    // The mapping names the stage, so it must wait for it.
    template.hasResource('AWS::ApiGatewayV2::ApiMapping', {
      DependsOn: [logicalId(built.stateless, built.stateless.api.stage)],
    });
  });

  it('aliases the name to the regional endpoint in the zone', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'claims.dev.cpor-partners.net.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': [domainId(), 'RegionalDomainName'] },
        HostedZoneId: { 'Fn::GetAtt': [domainId(), 'RegionalHostedZoneId'] },
      },
    });
  });

  it('puts the domain into every consent link', async () => {
    expect(relayEnvironmentOf(built).PUBLIC_BASE_URL).toBe('https://claims.dev.cpor-partners.net');
    template.hasOutput('PublicBaseUrl', { Value: 'https://claims.dev.cpor-partners.net' });
    expect(linkOf(await emailOf(built)).origin).toBe('https://claims.dev.cpor-partners.net');
  });

  it('puts the domain into the console link of a stage without a portalUrl', async () => {
    const { portalUrl: _, ...dev } = stageContext('dev');
    const withoutPortal = buildServiceApp('dev', {
      context: { stages: { dev: { ...dev, customDomain: devCustomDomain } } },
    });
    expect(portalLinkOf(await emailOf(withoutPortal, 'rejection', rejectedClaim))).toBe(
      'https://claims.dev.cpor-partners.net/console/claims/c-1',
    );
  });
});

describe('a custom domain with an existing certificate and no hosted zone', () => {
  const certificateArn =
    'arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
  const built = buildServiceApp('dev', {
    context: {
      stages: {
        dev: {
          ...stageContext('dev'),
          customDomain: { domainName: 'claims.cpor-partners.net', certificateArn },
        },
      },
    },
  });
  const template = Template.fromStack(built.stateless);

  it('uses that certificate, creates no record, and outputs the CNAME target', () => {
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainNameConfigurations: [Match.objectLike({ CertificateArn: certificateArn })],
    });
    template.hasOutput('CustomDomainTarget', {
      Value: {
        'Fn::GetAtt': [
          logicalId(built.stateless, built.stateless.customDomain?.domainName as IConstruct),
          'RegionalDomainName',
        ],
      },
    });
    expect(relayEnvironmentOf(built).PUBLIC_BASE_URL).toBe('https://claims.cpor-partners.net');
  });
});
