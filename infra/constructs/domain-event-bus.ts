/**
 * The EventBridge bus that carries the service's domain events (claim submitted, decided,
 * consent period ended, SLA breached …) to other systems, with an archive of everything the
 * service published so a consumer that was down or added later can be replayed to.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type Archive, EventBus } from 'aws-cdk-lib/aws-events';
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
    // Other stacks' rules hang off the bus: removing it from this stack must not delete it.
    this.eventBus.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.archive = this.eventBus.archive('Archive', {
      description: 'Every CPOR claims domain event, for replays to new or recovering consumers',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(365),
    });
    this.archive.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
