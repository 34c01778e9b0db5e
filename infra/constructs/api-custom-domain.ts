/**
 * A stage's own domain for the HTTP API (and so for the consent links in emails): the API
 * Gateway regional domain name with a TLS 1.2 certificate, the mapping of the whole domain to
 * the API's `$default` stage and, when the stage names its Route 53 hosted zone, the alias
 * record and a DNS-validated certificate when none is given.
 */
import { CfnOutput } from 'aws-cdk-lib';
import {
  ApiMapping,
  DomainName,
  type IHttpApi,
  type IHttpStage,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate, CertificateValidation, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { ARecord, HostedZone, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface ApiCustomDomainProps {
  /** The host name, e.g. `claims.example.com`. */
  readonly domainName: string;
  /**
   * An issued ACM certificate covering `domainName`, in the stack's region.
   *
   * @default - a certificate created here, validated through `hostedZone`
   */
  readonly certificateArn?: string;
  /**
   * The public hosted zone that holds `domainName`.
   *
   * @default - no DNS record: point a CNAME at the `CustomDomainTarget` output yourself
   */
  readonly hostedZone?: { readonly id: string; readonly name: string };
  readonly api: IHttpApi;
  readonly stage: IHttpStage;
}

export class ApiCustomDomain extends Construct {
  readonly domainName: DomainName;
  readonly certificate: ICertificate;
  readonly mapping: ApiMapping;
  readonly hostedZone?: IHostedZone;
  /** `https://<domainName>`, without a trailing slash: the base of every public link. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);
    if (props.hostedZone) {
      this.hostedZone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: props.hostedZone.id,
        zoneName: props.hostedZone.name,
      });
    }
    if (props.certificateArn) {
      this.certificate = Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn);
    } else if (this.hostedZone) {
      this.certificate = new Certificate(this, 'Certificate', {
        domainName: props.domainName,
        validation: CertificateValidation.fromDns(this.hostedZone),
      });
    } else {
      throw new Error(`ApiCustomDomain ${this.node.path}: give certificateArn or hostedZone.`);
    }

    this.domainName = new DomainName(this, 'DomainName', {
      domainName: props.domainName,
      certificate: this.certificate,
      // Stated, not left to the default: TLS 1.0/1.1 clients are refused.
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    this.mapping = new ApiMapping(this, 'Mapping', {
      api: props.api,
      domainName: this.domainName,
      stage: props.stage,
    });
    this.url = `https://${props.domainName}`;

    if (this.hostedZone) {
      const target = RecordTarget.fromAlias(
        new ApiGatewayv2DomainProperties(
          this.domainName.regionalDomainName,
          this.domainName.regionalHostedZoneId,
        ),
      );
      // IPv4 only: the regional endpoint's default address type.
      new ARecord(this, 'AliasRecord', { zone: this.hostedZone, recordName: `${props.domainName}.`, target });
    } else {
      new CfnOutput(this, 'Target', {
        key: 'CustomDomainTarget',
        description: `Point a CNAME for ${props.domainName} at this regional API Gateway host name`,
        value: this.domainName.regionalDomainName,
      });
    }
  }
}
