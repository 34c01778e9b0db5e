/** The outputs of a stage's deployed stacks, read with CloudFormation `DescribeStacks`. */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** What the smoke test reads from the stacks of a stage. */
export interface StageOutputs {
  /** `ApiUrl` of the stateless stack. */
  readonly apiUrl: string;
  /** `UserPoolId` and `PortalClientId` of the stateful stack, when the stage has a Cognito pool. */
  readonly cognito?: { readonly userPoolId: string; readonly portalClientId: string };
}

/** The stack names of a stage (as `infra/service-app.ts` names them). */
export function stackNamesOf(stage: string) {
  return { stateful: `CporClaims-${stage}-Stateful`, stateless: `CporClaims-${stage}-Stateless` };
}

/** Reads `stage`'s outputs from CloudFormation in the client's region. */
export async function readStageOutputs(client: CloudFormationClient, stage: string): Promise<StageOutputs> {
  const names = stackNamesOf(stage);
  const outputsOf = async (stackName: string) => {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (!stack) throw new Error(`Stack ${stackName} not found.`);
    if (!/_COMPLETE$/.test(stack.StackStatus ?? '') || /ROLLBACK|DELETE/.test(stack.StackStatus ?? '')) {
      throw new Error(`Stack ${stackName} is ${stack.StackStatus}, not deployed.`);
    }
    return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  };
  const [stateful, stateless] = await Promise.all([outputsOf(names.stateful), outputsOf(names.stateless)]);
  const apiUrl = stateless.ApiUrl;
  if (!apiUrl) throw new Error(`Stack ${names.stateless} has no ApiUrl output.`);
  const { UserPoolId: userPoolId, PortalClientId: portalClientId } = stateful;
  return { apiUrl, ...(userPoolId && portalClientId && { cognito: { userPoolId, portalClientId } }) };
}

export { CloudFormationClient };
