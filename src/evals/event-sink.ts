import type { EventInput } from '../contracts/event.js';

/**
 * Where evaluation events go (`evaluation` / `start`, `result`, `gate`). The CLI
 * wires this to the ledger through the control plane; tests pass an array.
 */
export interface EventSink {
  record(input: EventInput): Promise<void>;
}

/** Collects events in memory (tests, library callers that forward them later). */
export class MemoryEventSink implements EventSink {
  readonly events: EventInput[] = [];
  async record(input: EventInput): Promise<void> {
    this.events.push(input);
  }
}
