/**
 * The service's HTTP API with the defaults fixed once: JWT authorizer as the default for every
 * route (a route is public only when it says so), CORS for the configured portal origins only,
 * stage-wide throttling, JSON access logs. Routes come from the shared route table.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpRoute,
  type HttpRouteIntegration,
  type HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteDefinition } from '../../functions/http/routes.js';
import {
  CORS_ALLOW_HEADERS,
  CORS_DEFAULT_MAX_AGE_SECONDS,
  CORS_EXPOSE_HEADERS,
  corsAllowMethods,
} from '../cors.js';

/**
 * One JSON object per request. Every value is quoted: API Gateway writes `-` for a missing
 * value, which would break a bare JSON number.
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    httpMethod: '$context.httpMethod',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    sub: '$context.authorizer.claims.sub',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
  }),
);

export interface ServiceHttpApiProps {
  /** Name of the API in the console, e.g. `cpor-claims-dev`. */
  readonly apiName: string;
  /** Issuer (`iss`) of accepted access tokens. */
  readonly jwtIssuer: string;
  /** Accepted audiences (`aud`) of access tokens. */
  readonly jwtAudience: readonly string[];
  /**
   * Scopes every JWT route requires (the token must carry at least one in `scope`/`scp`).
   *
   * @default - none: issuer and audience alone are checked
   */
  readonly jwtScopes?: readonly string[];
  /** Browser origins allowed by CORS; nothing else is. */
  readonly allowOrigins: readonly string[];
  /** Methods the CORS preflight allows (the route table's methods). */
  readonly allowMethods: readonly RouteDefinition['method'][];
  /** Default throttling of every route of the stage. */
  readonly throttle: Required<ThrottleSettings>;
  /** Retention of the access log group. */
  readonly accessLogRetention: RetentionDays;

  /**
   * How long browsers may cache a preflight answer.
   *
   * @default Duration.hours(1) (`CORS_DEFAULT_MAX_AGE_SECONDS`)
   */
  readonly corsMaxAge?: Duration;

  /**
   * Removal policy of the access log group.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
}

export class ServiceHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly jwtAuthorizer: HttpJwtAuthorizer;
  readonly accessLogs: LogGroup;
  private readonly jwtScopes: readonly string[];

  constructor(scope: Construct, id: string, props: ServiceHttpApiProps) {
    super(scope, id);
    this.jwtScopes = props.jwtScopes ?? [];

    this.jwtAuthorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      authorizerName: 'jwt',
      jwtAudience: [...props.jwtAudience],
    });

    this.api = new HttpApi(this, 'HttpApi', {
      apiName: props.apiName,
      description: 'CPOR customer association claims API',
      // Fail closed: a route added without an explicit authorizer still requires a valid JWT.
      defaultAuthorizer: this.jwtAuthorizer,
      corsPreflight: {
        allowOrigins: [...props.allowOrigins],
        allowMethods: corsAllowMethods(props.allowMethods).map((m) => CorsHttpMethod[m]),
        allowHeaders: [...CORS_ALLOW_HEADERS],
        exposeHeaders: [...CORS_EXPOSE_HEADERS],
        allowCredentials: false,
        maxAge: props.corsMaxAge ?? Duration.seconds(CORS_DEFAULT_MAX_AGE_SECONDS),
      },
      // The `$default` stage is added below with throttling and access logs, which the
      // implicit default stage cannot take.
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
  }

  /** The invoke URL of the `$default` stage. */
  get url(): string {
    return this.stage.url;
  }

  /**
   * Adds `route` with `integration`: `auth: 'jwt'` behind the JWT authorizer (with the configured
   * scopes), `auth: 'none'` public (with the cdk-nag finding acknowledged, giving the route table
   * as the reason).
   */
  addRoute(route: RouteDefinition, integration: HttpRouteIntegration): HttpRoute[] {
    const authorizer: IHttpRouteAuthorizer =
      route.auth === 'jwt' ? this.jwtAuthorizer : new HttpNoneAuthorizer();
    const routes = this.api.addRoutes({
      path: route.path,
      methods: [HttpMethod[route.method]],
      integration,
      authorizer,
      ...(route.auth === 'jwt' && this.jwtScopes.length > 0 && { authorizationScopes: [...this.jwtScopes] }),
    });
    if (route.auth === 'none') {
      for (const added of routes) {
        Validations.of(added).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `Public by design (route table: ${route.operationId}, auth 'none' — ${route.summary}); it reveals no claim data without a token or an unguessable consent token.`,
        });
      }
    }
    return routes;
  }
}
