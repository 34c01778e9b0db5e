/**
 * The EventBridge bus that carries the service's domain events (claim submitted, decided,
 * consent period ended, SLA breached …) to other systems, with an archive of everything the
 * service published so a consumer that was down or added later can be replayed to.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Archive, type CfnArchive, EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../functions/adapters/eventbridge-publisher.js';

export interface DomainEventBusProps {
  /** Name of the bus; consumers' rules refer to it, so it is fixed, e.g. `cpor-claims-prod`. */
  readonly eventBusName: string;

  /**
   * How long the archive keeps published events (for replays).
   *
   * @default Duration.days(365) — long enough to replay into a consumer built months later;
   *   bounded, because events carry the customer's name and email address.
   */
  readonly archiveRetention?: Duration;
}

export class DomainEventBus extends Construct {
  readonly eventBus: EventBus;
  /** Every event the service publishes (source `cpor.claims`), kept for `archiveRetention`. */
  readonly archive: Archive;

  constructor(scope: Construct, id: string, props: DomainEventBusProps) {
    super(scope, id);

    this.eventBus = new EventBus(this, 'Bus', {
      eventBusName: props.eventBusName,
      description: 'CPOR claims domain events (source cpor.claims), published by the outbox relay',
    });
    // Not retained: its name is fixed, so a retained bus would make the stack impossible to
    // create again after a deletion. It holds no data (the archive does); while other stacks'
    // rules hang off it, EventBridge refuses to delete it and the stack deletion stops there.
    this.eventBus.applyRemovalPolicy(RemovalPolicy.DESTROY);

    this.archive = this.eventBus.archive('Archive', {
      description: 'Every CPOR claims domain event, for replays to new or recovering consumers',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(365),
    });
    // Retained (a year of events), under a name CloudFormation generates: no collision later.
    this.archive.applyRemovalPolicy(RemovalPolicy.RETAIN);
    // aws-cdk-lib writes `KmsKeyIdentifier: ""` when no key is given, which some regions refuse
    // (GeneralServiceException; aws/aws-cdk#37847): leave the property out, AWS's key then applies.
    (this.archive.node.defaultChild as CfnArchive).addPropertyDeletionOverride('KmsKeyIdentifier');
  }
}
