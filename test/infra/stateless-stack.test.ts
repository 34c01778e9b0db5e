import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetStaging, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition, routeKey } from '../../functions/http/routes.js';
import { INDEXES } from '../../functions/storage-layout/table-schema.js';
import { STATE_MACHINE_LOG_DELIVERY_ACTIONS } from '../../infra/constructs/claim-timer.js';
import { hasFunctionEntry } from '../../infra/constructs/service-function.js';
import type { ServiceApp } from '../../infra/service-app.js';
import { routesByFunction } from '../../infra/stateless-stack.js';
import { buildServiceApp } from './service-app-fixture.js';

// `prod` differs from `dev` in every configurable value the assertions read, so a value taken
// from the wrong place (or hard-coded) shows.
const STAGE = 'prod';

let built: ServiceApp;
let template: Template;

beforeAll(() => {
  built = buildServiceApp(STAGE, { bundle: true });
  template = Template.fromStack(built.stateless);
}, 120_000);

const deployableRoutes = () => ROUTES.filter((r) => hasFunctionEntry(r.function));

function logicalId(construct: IConstruct): string {
  return built.stateless.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The synthesized resource of an L2 construct. */
function resourceOf(construct: IConstruct): { Type: string; Properties: Record<string, unknown> } {
  return template.toJSON().Resources[logicalId(construct)];
}

function onlyResource(type: string, props: Record<string, unknown> = {}) {
  const found = Object.entries(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(found, `exactly one ${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  const [[id, resource]] = found as [[string, { Properties: Record<string, unknown> }]];
  return { id, properties: resource.Properties };
}

describe('stateless stack: functions', () => {
  it('has one function per `function` of the route table that has an entry file', () => {
    const expected = [...routesByFunction(ROUTES).keys()].filter(hasFunctionEntry);
    expect(expected.length).toBeGreaterThan(0);
    expect([...built.stateless.functions.keys()].sort()).toEqual([...expected].sort());
    // Besides them: the upload verifier, CDK's bucket-notifications handler, the claim timer's
    // expire-deadline task and the outbox relay.
    template.resourceCountIs('AWS::Lambda::Function', expected.length + 4);
  });

  it('runs every function on Node 22, arm64, ESM bundle, active tracing, JSON logs', () => {
    for (const fn of built.stateless.functions.values()) {
      expect(resourceOf(fn.function).Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(fn.logGroup) } },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
    }
  });

  it('gives every function a log group with the stage retention', () => {
    for (const fn of built.stateless.functions.values()) {
      expect(resourceOf(fn.logGroup).Properties.RetentionInDays).toBe(built.config.logRetentionDays);
    }
  });

  it('passes the table name together with the table grant', () => {
    for (const fn of built.stateless.functions.values()) {
      const tableRef = built.stateful.resolve(built.stateful.table.tableName) as { Ref: string };
      expect(resourceOf(fn.function).Properties).toMatchObject({
        Environment: {
          Variables: { TABLE_NAME: { 'Fn::ImportValue': expect.stringContaining(`Ref${tableRef.Ref}`) } },
        },
      });
    }
  });

  it('grants item access on the table and Query on each named index, never Scan nor index/*', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions.filter((a) => a.endsWith('*'))).toEqual([]);
    const rendered = JSON.stringify(statements);
    expect(rendered).not.toContain('/index/*');
    for (const indexName of Object.keys(INDEXES)) expect(rendered).toContain(`/index/${indexName}"`);
    // The only `Resource: "*"` are X-Ray's and the claim timer's log delivery (on no other role:
    // lifecycle-infra.test.ts), which support no resource-level permissions.
    const wildcard = statements.filter((s) => s.Resource === '*');
    expect(
      wildcard
        .flatMap((s) => [s.Action].flat())
        .filter(
          (a) =>
            !a.startsWith('xray:') && !(STATE_MACHINE_LOG_DELIVERY_ACTIONS as readonly string[]).includes(a),
        ),
    ).toEqual([]);
  });

  it('uses its own roles, without AWS managed policies', () => {
    for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
      // CDK's own deployment-time handler for bucket notifications (acknowledged in UploadVerifier).
      if (id.startsWith('BucketNotificationsHandler')) continue;
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('bundles an ESM handler with a source map', () => {
    for (const fn of built.stateless.functions.values()) {
      const staging = fn.function.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
      expect(staging).toBeDefined();
      const dir = staging?.absoluteStagedPath ?? '';
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __cporCreateRequire } from 'node:module';")).toBe(
        true,
      );
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    }
  });
});

describe('stateless stack: HTTP API routes (from the route table)', () => {
  const routeResources = () =>
    Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) =>
        r.Properties as {
          RouteKey: string;
          AuthorizationType: string;
          AuthorizerId?: unknown;
          Target: unknown;
        },
    );

  it('serves every route of ROUTES whose function exists, and nothing else', () => {
    expect(
      routeResources()
        .map((r) => r.RouteKey)
        .sort(),
    ).toEqual(deployableRoutes().map(routeKey).sort());
  });

  it('leaves out only routes whose function has no entry file yet', () => {
    expect(built.stateless.skippedRoutes).toEqual(ROUTES.filter((r) => !hasFunctionEntry(r.function)));
  });

  const authorizerId = () => onlyResource('AWS::ApiGatewayV2::Authorizer').id;

  it.each(ROUTES.map((r) => [routeKey(r), r] as [string, RouteDefinition]))(
    '%s has the authorization of the route table and targets its function',
    (key, route) => {
      if (!hasFunctionEntry(route.function)) return;
      const resource = routeResources().find((r) => r.RouteKey === key);
      expect(resource, key).toBeDefined();
      if (route.auth === 'jwt') {
        expect(resource).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId() } });
      } else {
        expect(resource?.AuthorizationType).toBe('NONE');
        expect(resource?.AuthorizerId).toBeUndefined();
      }
      // Target → integration → the Lambda of `route.function`.
      const integrationRef = JSON.stringify(resource?.Target).match(/"Ref":"([^"]+)"/)?.[1] ?? '';
      const integration = template.toJSON().Resources[integrationRef];
      const fn = built.stateless.functions.get(route.function);
      expect(fn).toBeDefined();
      expect(integration?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [fn && logicalId(fn.function), 'Arn'] },
      });
    },
  );

  it('checks JWTs against the stage issuer and audience', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: built.config.jwtIssuer, Audience: built.config.jwtAudience },
    });
  });
});

describe('stateless stack: HTTP API settings', () => {
  it('allows CORS from the configured portal origins only, for the route table methods', () => {
    const { properties } = onlyResource('AWS::ApiGatewayV2::Api');
    const cors = properties.CorsConfiguration as Record<string, unknown>;
    expect(cors.AllowOrigins).toEqual(built.config.portalOrigins);
    expect(cors.AllowCredentials).toBe(false);
    expect([...(cors.AllowMethods as string[])].sort()).toEqual(
      [...new Set([...ROUTES.map((r) => r.method), 'OPTIONS'])].sort(),
    );
    expect(cors.AllowHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'if-match']));
  });

  it('throttles the default stage as configured', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: built.config.throttling.rateLimit,
        ThrottlingBurstLimit: built.config.throttling.burstLimit,
      },
    });
  });

  it('writes JSON access logs to a log group with the stage retention', () => {
    const { properties } = onlyResource('AWS::ApiGatewayV2::Stage');
    const settings = properties.AccessLogSettings as {
      DestinationArn: { 'Fn::GetAtt': [string, string] };
      Format: string;
    };
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    const [logGroupId] = settings.DestinationArn['Fn::GetAtt'];
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: built.config.logRetentionDays },
    });
  });

  it('outputs the API URL', () => {
    template.hasOutput('ApiUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });

  it('tags resources with service and stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      Tags: { service: 'cpor-claims', stage: STAGE },
    });
    expect(Stack.of(built.stateless).tags.tagValues()).toMatchObject({
      service: 'cpor-claims',
      stage: STAGE,
    });
  });
});

describe('routesByFunction', () => {
  it('groups routes by function in table order', () => {
    const a: RouteDefinition = {
      method: 'GET',
      path: '/a',
      operationId: 'a',
      auth: 'none',
      function: 'api',
      summary: '',
    };
    const b: RouteDefinition = { ...a, path: '/b', operationId: 'b', function: 'consent' };
    const c: RouteDefinition = { ...a, path: '/c', operationId: 'c' };
    expect([...routesByFunction([a, b, c])]).toEqual([
      ['api', [a, c]],
      ['consent', [b]],
    ]);
  });
});
