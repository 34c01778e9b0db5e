import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/http/routes.js';
import { parseStageConfig } from '../../infra/config.js';
import { hasFunctionEntry } from '../../infra/constructs/service-function.js';
import { buildServiceApp, cdkJsonContext } from './service-app-fixture.js';

const stages = cdkJsonContext().stages as Record<string, Record<string, unknown>>;
const validProd = structuredClone(stages.prod) as Record<string, unknown>;

function withProd(overrides: Record<string, unknown>) {
  return { stages: { ...stages, prod: { ...validProd, ...overrides } } };
}

describe('operations configuration keys', () => {
  it.each([
    ['alarmEmail', 'oncall', /stages\.prod\.alarmEmail: must be an email address/],
    ['jwtScopes', [], /stages\.prod\.jwtScopes: must name at least one scope/],
    ['jwtScopes', ['claims read'], /stages\.prod\.jwtScopes\.0: must be a scope name without spaces/],
    ['reservedConcurrency', { api: 0 }, /stages\.prod\.reservedConcurrency\.api: must be at least 1/],
    ['reservedConcurrency', { api: 2.5 }, /stages\.prod\.reservedConcurrency\.api:/],
    ['reservedConcurrency', { apii: 10 }, /stages\.prod\.reservedConcurrency\.apii: names no function/],
    [
      'reservedConcurrency',
      { '../infra/app': 10 },
      /reservedConcurrency\.\.\.\/infra\/app: names no function/,
    ],
  ])('rejects %s = %j', (key, value, message) => {
    expect(() => parseStageConfig('prod', { ...validProd, [key]: value })).toThrow(message);
  });

  it('accepts a stage without any of them (all optional)', () => {
    const { alarmEmail: _, reservedConcurrency: __, jwtScopes: ___, ...minimal } = validProd;
    const config = parseStageConfig('prod', minimal);
    expect(config.alarmEmail).toBeUndefined();
    expect(config.reservedConcurrency).toBeUndefined();
    expect(config.jwtScopes).toBeUndefined();
  });

  it('leaves reserved concurrency out of dev (new accounts cannot reserve any)', () => {
    expect(stages.dev?.reservedConcurrency).toBeUndefined();
  });
});

describe('reserved concurrency from the stage configuration', () => {
  function reservedOf(stage: string, context?: Record<string, unknown>) {
    const built = buildServiceApp(stage, context ? { context } : {});
    const resources = Template.fromStack(built.stateless).toJSON().Resources;
    return new Map(
      [...built.stateless.functions].map(([name, fn]) => {
        const id = built.stateless.getLogicalId(fn.function.node.defaultChild as CfnElement);
        return [name, resources[id].Properties.ReservedConcurrentExecutions as number | undefined];
      }),
    );
  }

  it('reserves what prod configures, for the API and the public consent pages', () => {
    const configured = validProd.reservedConcurrency as Record<string, number>;
    expect(Object.keys(configured).sort()).toEqual(['api', 'consent']);
    const reserved = reservedOf('prod');
    expect(reserved.get('api')).toBe(configured.api);
    // The consent function is deployed once the route table serves /consent/*.
    for (const [name, value] of Object.entries(configured)) {
      if (reserved.has(name as 'api')) expect(reserved.get(name as 'api'), name).toBe(value);
    }
  });

  it('follows the configuration (a changed value reaches the template)', () => {
    expect(reservedOf('prod', withProd({ reservedConcurrency: { api: 7 } })).get('api')).toBe(7);
  });

  it('reserves nothing in dev', () => {
    expect([...reservedOf('dev').values()].every((v) => v === undefined)).toBe(true);
  });
});

describe('JWT scopes from the stage configuration', () => {
  const routesOf = (context?: Record<string, unknown>) => {
    const built = buildServiceApp('prod', context ? { context } : {});
    return Object.values(Template.fromStack(built.stateless).findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties as { RouteKey: string; AuthorizationScopes?: string[] },
    );
  };

  it('requires the configured scopes on every JWT route, and none on public routes', () => {
    const scopes = ['Claims.Access', 'cpor/claims'];
    const routes = routesOf(withProd({ jwtScopes: scopes }));
    for (const route of ROUTES.filter((r) => hasFunctionEntry(r.function))) {
      const resource = routes.find((r) => r.RouteKey === routeKey(route));
      expect(resource, routeKey(route)).toBeDefined();
      expect(resource?.AuthorizationScopes, routeKey(route)).toEqual(
        route.auth === 'jwt' ? scopes : undefined,
      );
    }
  });

  it('requires no scope when the stage configures none', () => {
    expect(routesOf().every((r) => r.AuthorizationScopes === undefined)).toBe(true);
  });
});
