import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { apiEnvironment, identityClaimsOf, readConfig } from '../../functions/config.js';
import { InvalidStageConfigError, parseStageConfig, resolveStage } from '../../infra/config.js';
import { buildServiceApp, cdkJsonContext, configuredStages } from './service-app-fixture.js';

const stages = cdkJsonContext().stages as Record<string, Record<string, unknown>>;
const validProd = structuredClone(stages.prod) as Record<string, unknown>;

function contextWith(key: string, value: unknown): Record<string, unknown> {
  return { stages: { ...stages, prod: { ...validProd, [key]: value } } };
}

function reader(context: Record<string, unknown>) {
  return { tryGetContext: (key: string) => context[key] };
}

describe('stage configuration', () => {
  it.each(configuredStages())('accepts the %s stage of cdk.json', (stage) => {
    expect(resolveStage(reader({ ...cdkJsonContext(), stage })).stage).toBe(stage);
  });

  it('defaults to the dev stage', () => {
    expect(resolveStage(reader({ stages })).stage).toBe('dev');
  });

  it('fails the synth with a message naming the bad key', () => {
    const build = () =>
      buildServiceApp('prod', { context: contextWith('jwtIssuer', 'http://login.example.com') });
    expect(build).toThrow(InvalidStageConfigError);
    expect(build).toThrow(/stages\.prod\.jwtIssuer: must be an https URL/);
  });

  it.each([
    ['jwtIssuer', 'not a url', /stages\.prod\.jwtIssuer:/],
    ['jwtAudience', [], /stages\.prod\.jwtAudience: must name at least one audience/],
    [
      'portalOrigins',
      ['https://portal.example.com/'],
      /stages\.prod\.portalOrigins\.0: must be an https origin/,
    ],
    ['portalOrigins', ['*'], /stages\.prod\.portalOrigins\.0: must be an https origin/],
    [
      'portalOrigins',
      ['http://portal.example.com'],
      /stages\.prod\.portalOrigins\.0: must be an https origin/,
    ],
    ['senderAddress', 'claims', /stages\.prod\.senderAddress: must be an email address/],
    ['portalUrl', 'http://partners.cpor-claims.net', /stages\.prod\.portalUrl: must be an https URL/],
    [
      'publicBaseUrl',
      'https://claims.example.com/',
      /stages\.prod\.publicBaseUrl: must not end with a slash/,
    ],
    ['logRetentionDays', 42, /stages\.prod\.logRetentionDays: must be a CloudWatch Logs retention period/],
    ['throttling', { rateLimit: 10 }, /stages\.prod\.throttling\.burstLimit:/],
    ['throttling', { rateLimit: -1, burstLimit: 10 }, /stages\.prod\.throttling\.rateLimit:/],
    [
      'businessCalendar',
      { country: 'US', timeZone: 'America/Los_Angles' },
      /stages\.prod\.businessCalendar\.timeZone: must be an IANA time zone/,
    ],
    [
      'businessCalendar',
      { country: 'XQ', timeZone: 'Europe/Berlin' },
      /stages\.prod\.businessCalendar\.country: is not a country known to date-holidays/,
    ],
    [
      'businessCalendar',
      { country: 'US', region: 'ZZ', timeZone: 'America/New_York' },
      /stages\.prod\.businessCalendar\.region: is not a region of US/,
    ],
    ['jwtIssuers', 'https://typo.example.com', /stages\.prod\.jwtIssuers: is not a known configuration key/],
    [
      'customDomain',
      { domainName: 'claims.cpor-partners.net' },
      /stages\.prod\.customDomain\.certificateArn: is required without hostedZone/,
    ],
    [
      'customDomain',
      {
        domainName: 'https://claims.cpor-partners.net',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
      },
      /stages\.prod\.customDomain\.domainName: must be a lower-case DNS name/,
    ],
    [
      'customDomain',
      {
        domainName: 'claims.cpor-partners.net',
        hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'other.net' },
      },
      /stages\.prod\.customDomain\.hostedZone\.name: must be claims\.cpor-partners\.net or one of its parent domains/,
    ],
  ])('rejects %s = %j', (key, value, message) => {
    expect(() => parseStageConfig('prod', { ...validProd, [key]: value })).toThrow(message);
  });

  it('refuses publicBaseUrl together with customDomain (one source for the links)', () => {
    expect(() =>
      parseStageConfig('prod', {
        ...validProd,
        publicBaseUrl: 'https://links.cpor-partners.net',
        customDomain: {
          domainName: 'claims.cpor-partners.net',
          hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'cpor-partners.net' },
        },
      }),
    ).toThrow(/stages\.prod\.publicBaseUrl: must be left out with customDomain/);
  });

  it('needs no publicBaseUrl (the links default to the API URL)', () => {
    const { publicBaseUrl: _, ...withoutBase } = validProd;
    expect(parseStageConfig('prod', withoutBase).publicBaseUrl).toBeUndefined();
  });

  it('refuses an identity claim mapping to a role the API does not have', () => {
    expect(() =>
      parseStageConfig('prod', { ...validProd, identityClaims: { roleMapping: { 'cpor-admins': 'Admin' } } }),
    ).toThrow(/stages\.prod\.identityClaims\.roleMapping\.cpor-admins:/);
  });

  it('passes the identity claim mapping to the API function, which reads it back', () => {
    const identityClaims = {
      partnerId: 'extn.partnerId',
      roles: ['roles', 'groups'],
      roleMapping: { 'CporClaims.Reviewer': 'Reviewer' },
    };
    const built = buildServiceApp('prod', {
      context: { stages: { ...stages, prod: { ...validProd, identityClaims } } },
    });
    const fn = built.stateless.functions.get('api')?.function;
    const id = built.stateless.getLogicalId(fn?.node.defaultChild as CfnElement);
    const variables = Template.fromStack(built.stateless).toJSON().Resources[id].Properties.Environment
      .Variables as Record<string, unknown>;
    const strings = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : 'arn:aws:cloudformation:resolved-at-deploy',
      ]),
    );
    expect(identityClaimsOf(readConfig(apiEnvironment, strings))).toEqual({
      partnerIdClaim: 'extn.partnerId',
      roleClaims: ['roles', 'groups'],
      roleMapping: { 'CporClaims.Reviewer': 'Reviewer' },
    });
  });

  it('names a missing key', () => {
    const { senderAddress: _, ...withoutSender } = validProd;
    expect(() => parseStageConfig('prod', withoutSender)).toThrow(/stages\.prod\.senderAddress:/);
  });

  it('names an unknown stage and lists the known ones', () => {
    expect(() => resolveStage(reader({ stage: 'qa', stages }))).toThrow(
      /Unknown stage "qa": no context "stages\.qa" \(known stages: dev, prod\)/,
    );
  });

  it('explains a missing stages context', () => {
    expect(() => resolveStage(reader({ stage: 'dev' }))).toThrow(/Missing context "stages"/);
  });

  it('accepts a calendar region known to date-holidays', () => {
    const config = parseStageConfig('prod', {
      ...validProd,
      businessCalendar: { country: 'US', region: 'CA', timeZone: 'America/Los_Angeles' },
    });
    expect(config.businessCalendar.region).toBe('CA');
  });
});
