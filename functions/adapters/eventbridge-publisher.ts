/** Domain events to an EventBridge bus, for other systems (e.g. incentive assessment). */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DomainEvent, EventPublisher } from '../domain/ports/outbox.js';

export const EVENT_SOURCE = 'cpor.claims';

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({
          EventBusName: this.eventBusName,
          Source: EVENT_SOURCE,
          DetailType: event.detailType,
          Detail: JSON.stringify(event),
          Time: new Date(event.at),
        })),
      }),
    );
    // PutEvents succeeds as a call even when entries fail; a partial failure must be retried.
    if ((result.FailedEntryCount ?? 0) > 0) {
      const codes = (result.Entries ?? [])
        .map((e) => e.ErrorCode)
        .filter(Boolean)
        .join(', ');
      throw new Error(`EventBridge refused ${result.FailedEntryCount} event(s): ${codes}`);
    }
  }
}
