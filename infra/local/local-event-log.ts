/**
 * The local stand-in for the EventBridge bus: domain events are appended to a JSON-lines file
 * under the data folder (and kept in memory for `GET /_local/events`), deduplicated by id as
 * an EventBridge consumer would.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { DomainEvent, EventPublisher } from '../../functions/domain/ports/outbox.js';

export class LocalEventLog implements EventPublisher {
  readonly events: DomainEvent[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean))
        this.remember(JSON.parse(line));
    }
  }

  async publish(events: DomainEvent[]): Promise<void> {
    for (const event of events) {
      if (!this.remember(event)) continue;
      if (this.file) appendFileSync(this.file, `${JSON.stringify(event)}\n`);
    }
  }

  private remember(event: DomainEvent): boolean {
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    this.events.push(event);
    return true;
  }
}
