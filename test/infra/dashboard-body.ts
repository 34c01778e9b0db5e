/**
 * Reads a synthesized `AWS::CloudWatch::Dashboard` body back as JSON, with every CloudFormation
 * token (`Ref`, `Fn::GetAtt`) rendered as `<Ref:LogicalId>` text so assertions can name resources.
 */
import type { Template } from 'aws-cdk-lib/assertions';

/** One widget of a dashboard body (only the fields the tests read). */
export interface DashboardWidget {
  type: string;
  width: number;
  height: number;
  x: number;
  y: number;
  properties: { title?: string; markdown?: string; metrics?: unknown[][] };
}

function tokenText(part: unknown): string {
  if (typeof part === 'string') return part;
  const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (token.Ref) return `<Ref:${token.Ref}>`;
  if (token['Fn::GetAtt']) return `<GetAtt:${token['Fn::GetAtt'].join('.')}>`;
  return `<${JSON.stringify(part).replaceAll('"', "'")}>`;
}

/** The widgets of the template's only dashboard. */
export function dashboardWidgets(template: Template): DashboardWidget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const body = dashboards[0]?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map(tokenText).join('');
  return (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
}

/** The metric rows of a widget as flat strings, e.g. `AWS/Lambda Errors FunctionName <Ref:Fn>`. */
export function metricLines(widget: DashboardWidget): string[] {
  return (widget.properties.metrics ?? []).map((row) =>
    row.map((cell) => (typeof cell === 'string' ? cell : JSON.stringify(cell))).join(' '),
  );
}
