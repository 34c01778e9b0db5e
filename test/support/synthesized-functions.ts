/**
 * What a deployment gets, read from the cloud assembly that `cdk synth` writes (cdk.out): each
 * function's bundle directory, its environment and its role's policy statements, with
 * CloudFormation's intrinsic functions resolved the way a deployment resolves them, to the
 * physical names the test chose for its emulated resources (or stand-ins shaped like AWS's).
 */
import { join } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { ArnScope, AuthorizationRequest } from './aws-call-recorder.js';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** A resource's deploy-time values: `Ref` and `Fn::GetAtt` attributes. */
export interface PhysicalResource {
  ref: string;
  attributes?: Record<string, string>;
}

/** Resolves intrinsics in the templates of one assembly (stacks may import each other's exports). */
export class TemplateResolver {
  private readonly templates = new Map<string, CfnTemplate>();
  private readonly exports = new Map<string, { stack: string; value: unknown }>();

  constructor(
    assembly: CloudAssembly,
    private readonly scope: ArnScope,
    /** Physical values by `<stack name>/<logical id>`, for the resources the test emulates. */
    private readonly physical: Record<string, PhysicalResource>,
  ) {
    for (const stack of assembly.stacks) {
      const template = stack.template as CfnTemplate;
      this.templates.set(stack.stackName, template);
      for (const output of Object.values(template.Outputs ?? {})) {
        if (typeof output.Export?.Name === 'string') {
          this.exports.set(output.Export.Name, { stack: stack.stackName, value: output.Value });
        }
      }
    }
  }

  template(stackName: string): CfnTemplate {
    const template = this.templates.get(stackName);
    if (!template) throw new Error(`No stack ${stackName} in the assembly`);
    return template;
  }

  /** The value CloudFormation would put in place of `value` in stack `stackName`. */
  resolve(value: unknown, stackName: string): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, stackName));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1], stackName);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v, stackName)]));
  }

  resolveString(value: unknown, stackName: string): string {
    const resolved = this.resolve(value, stackName);
    if (typeof resolved !== 'string') throw new Error(`Not a string: ${JSON.stringify(value)}`);
    return resolved;
  }

  private intrinsic(name: string, argument: unknown, stackName: string): unknown {
    const { region, account } = this.scope;
    switch (name) {
      case 'Ref': {
        const pseudo: Record<string, string> = {
          'AWS::Partition': 'aws',
          'AWS::Region': region,
          'AWS::AccountId': account,
          'AWS::URLSuffix': 'amazonaws.com',
          'AWS::StackName': stackName,
        };
        const id = String(argument);
        return pseudo[id] ?? this.physicalOf(stackName, id).ref;
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = argument as [string, string];
        const value = this.physicalOf(stackName, id).attributes?.[attribute];
        if (value === undefined) throw new Error(`${stackName}/${id} has no attribute ${attribute} here`);
        return value;
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        return parts.map((p) => this.resolveString(p, stackName)).join(separator);
      }
      case 'Fn::ImportValue': {
        const exported = this.exports.get(this.resolveString(argument, stackName));
        if (!exported) throw new Error(`No export named ${JSON.stringify(argument)}`);
        return this.resolve(exported.value, exported.stack);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [number, unknown];
        return (this.resolve(list, stackName) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return this.resolveString(source, stackName).split(separator);
      }
      default:
        throw new Error(`Unsupported intrinsic ${name}`);
    }
  }

  /** The test's physical resource, or a stand-in named after the logical id with AWS's ARN shape. */
  private physicalOf(stackName: string, logicalId: string): PhysicalResource {
    const given = this.physical[`${stackName}/${logicalId}`];
    if (given) return given;
    const resource = this.template(stackName).Resources[logicalId];
    if (!resource) throw new Error(`No resource ${logicalId} in ${stackName}`);
    const { region, account } = this.scope;
    const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${account}:${rest}`;
    const name = `${logicalId.toLowerCase()}`;
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::SecretsManager::Secret':
        return { ref: arn('secretsmanager', `secret:${name}-AbCdEf`) };
      case 'AWS::StepFunctions::StateMachine':
        return { ref: arn('states', `stateMachine:${name}`), attributes: { Name: name } };
      case 'AWS::Events::EventBus': {
        const busName = typeof props.Name === 'string' ? props.Name : name;
        return { ref: busName, attributes: { Name: busName, Arn: arn('events', `event-bus/${busName}`) } };
      }
      case 'AWS::SES::EmailIdentity':
        return { ref: String(props.EmailIdentity) };
      case 'AWS::SES::ConfigurationSet':
        return { ref: typeof props.Name === 'string' ? props.Name : name };
      case 'AWS::SQS::Queue':
        return {
          ref: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
          attributes: { Arn: arn('sqs', name), QueueName: name },
        };
      case 'AWS::Logs::LogGroup':
        return {
          ref: `/aws/lambda/${name}`,
          attributes: { Arn: arn('logs', `log-group:/aws/lambda/${name}:*`) },
        };
      case 'AWS::Lambda::Function':
        return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
      case 'AWS::IAM::Role':
        return { ref: name, attributes: { Arn: `arn:aws:iam::${account}:role/${name}` } };
      case 'AWS::SNS::Topic':
        return { ref: arn('sns', name), attributes: { TopicName: name } };
      case 'AWS::Cognito::UserPool':
        return {
          ref: `${region}_${name.slice(0, 9)}`,
          attributes: { Arn: arn('cognito-idp', `userpool/${region}_${name.slice(0, 9)}`) },
        };
      default:
        return {
          ref: name,
          attributes: { Arn: arn(resource.Type.split('::')[1]?.toLowerCase() ?? 'x', name) },
        };
    }
  }
}

/** One IAM policy statement with its intrinsics resolved. */
export interface ResolvedStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
  condition?: Record<string, Record<string, string | string[]>>;
}

export interface SynthesizedFunction {
  stackName: string;
  logicalId: string;
  /** The bundle's directory in the assembly (`asset.<hash>`, with `index.mjs`). */
  bundleDir: string;
  /** The template's environment variables, resolved. */
  environment: Record<string, string>;
  /** Every statement of every policy attached to the function's role. */
  statements: ResolvedStatement[];
}

/** The function `logicalId` of `stackName` as the assembly deploys it. */
export function synthesizedFunction(
  assembly: CloudAssembly,
  resolver: TemplateResolver,
  stackName: string,
  logicalId: string,
): SynthesizedFunction {
  const template = resolver.template(stackName);
  const fn = template.Resources[logicalId];
  if (fn?.Type !== 'AWS::Lambda::Function') throw new Error(`${stackName}/${logicalId} is not a function`);
  const assetPath = fn.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string')
    throw new Error(`${logicalId} has no asset metadata (enable-asset-metadata)`);
  const variables = ((fn.Properties?.Environment as { Variables?: object } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const environment = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, resolver.resolveString(value, stackName)]),
  );
  const roleId = (fn.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  if (!roleId) throw new Error(`${logicalId} has no role of its stack`);
  const documents = Object.values(template.Resources).flatMap((resource) => {
    if (
      resource.Type === 'AWS::IAM::Policy' &&
      ((resource.Properties?.Roles ?? []) as unknown[]).some((r) => (r as { Ref?: string }).Ref === roleId)
    ) {
      return [resource.Properties?.PolicyDocument];
    }
    return [];
  });
  const inline = (template.Resources[roleId]?.Properties?.Policies ?? []) as { PolicyDocument: unknown }[];
  const statements = [...documents, ...inline.map((p) => p.PolicyDocument)].flatMap((document) =>
    ((document as { Statement: Record<string, unknown>[] }).Statement ?? []).map(
      (statement): ResolvedStatement => ({
        effect: statement.Effect as 'Allow' | 'Deny',
        actions: [statement.Action].flat() as string[],
        resources: [resolver.resolve(statement.Resource, stackName)].flat() as string[],
        ...(statement.Condition !== undefined && {
          condition: resolver.resolve(statement.Condition, stackName) as ResolvedStatement['condition'],
        }),
      }),
    ),
  );
  return { stackName, logicalId, bundleDir: join(assembly.directory, assetPath), environment, statements };
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function conditionHolds(condition: ResolvedStatement['condition'], context: Record<string, string>): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      const values = [expected].flat();
      if (operator === 'StringEquals') return values.includes(actual);
      if (operator === 'StringLike') return values.some((v) => wildcardMatch(v, actual));
      throw new Error(`Condition operator ${operator} is not evaluated by this test`);
    }),
  );
}

/** Whether `statement` allows `request` (action, resource and conditions). */
export function statementAllows(statement: ResolvedStatement, request: AuthorizationRequest): boolean {
  return (
    statement.effect === 'Allow' &&
    statement.actions.some((a) => wildcardMatch(a, request.action, true)) &&
    statement.resources.some((r) => wildcardMatch(r, request.resource)) &&
    conditionHolds(statement.condition, request.context)
  );
}

/** Identity-policy evaluation: some statement allows it and none denies it. */
export function isAllowed(statements: readonly ResolvedStatement[], request: AuthorizationRequest): boolean {
  const denied = statements.some(
    (s) =>
      s.effect === 'Deny' &&
      s.actions.some((a) => wildcardMatch(a, request.action, true)) &&
      s.resources.some((r) => wildcardMatch(r, request.resource)),
  );
  return !denied && statements.some((s) => statementAllows(s, request));
}
