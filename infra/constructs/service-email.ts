/**
 * What the service needs to send email through SES: the sender's domain as an email identity
 * (Easy DKIM), and a configuration set whose sending events (send, delivery, bounce,
 * complaint …) reach CloudWatch with the dimension `ses:configuration-set`, the dimension
 * `ServiceAlarms.watchEmail` alarms on.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  CloudWatchDimensionSource,
  ConfigurationSet,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { SES_CONFIGURATION_SET_DIMENSION } from './service-metrics.js';

export interface ServiceEmailProps {
  /** The address emails come from, e.g. `no-reply@claims.example.com`; its domain becomes the identity. */
  readonly senderAddress: string;

  /** Name of the configuration set; alarm names contain it, so it is fixed, e.g. `cpor-claims-prod`. */
  readonly configurationSetName: string;
}

/** The sending events the configuration set publishes to CloudWatch. */
export const PUBLISHED_EMAIL_EVENTS: readonly EmailSendingEvent[] = [
  EmailSendingEvent.SEND,
  EmailSendingEvent.REJECT,
  EmailSendingEvent.DELIVERY,
  EmailSendingEvent.DELIVERY_DELAY,
  EmailSendingEvent.BOUNCE,
  EmailSendingEvent.COMPLAINT,
];

export class ServiceEmail extends Construct {
  /** The sender's domain, verified by the DKIM records in `identity.dkimRecords`. */
  readonly identity: EmailIdentity;
  readonly configurationSet: ConfigurationSet;
  /** The configuration set's name as a plain string (alarm names and construct ids need one). */
  readonly configurationSetName: string;
  readonly senderAddress: string;
  readonly senderDomain: string;

  constructor(scope: Construct, id: string, props: ServiceEmailProps) {
    super(scope, id);
    const domain = props.senderAddress.split('@').pop();
    if (!domain || !props.senderAddress.includes('@')) {
      throw new Error(`ServiceEmail ${this.node.path}: ${props.senderAddress} is not an email address.`);
    }
    this.senderAddress = props.senderAddress;
    this.senderDomain = domain;
    this.configurationSetName = props.configurationSetName;

    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: props.configurationSetName,
      reputationMetrics: true,
      // Addresses that bounced or complained are not mailed again (the account suppression list).
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.configurationSet.addEventDestination('CloudWatch', {
      destination: EventDestination.cloudWatchDimensions([
        {
          name: SES_CONFIGURATION_SET_DIMENSION,
          // SES tags every message with its configuration set's name under this key.
          source: CloudWatchDimensionSource.MESSAGE_TAG,
          defaultValue: props.configurationSetName,
        },
      ]),
      events: [...PUBLISHED_EMAIL_EVENTS],
    });

    // A domain identity: any address of the domain may send once the three DKIM CNAMEs are in
    // its DNS, and mail is DKIM-signed for the domain (DMARC alignment).
    this.identity = new EmailIdentity(this, 'Identity', {
      identity: Identity.domain(domain),
      // Applies the configuration set even to a send that names none.
      configurationSet: this.configurationSet,
    });
    // Not retained: an identity is named by its domain, so a retained one would make the stack
    // impossible to create again after a deletion. Re-creating it means new DKIM CNAMEs (the
    // stack outputs them); the account's SES production access does not depend on it.
    this.identity.applyRemovalPolicy(RemovalPolicy.DESTROY);
  }
}
