import type { EventEnvelope, EventInput } from '../contracts/event.js';
import { newEvent } from '../ledger/event-factory.js';
import { actorOf, type Principal } from './principal.js';

/** The part of the ledger the auth module needs: appending events. */
export interface AuditAppender {
  append(events: EventEnvelope[]): Promise<unknown>;
}

/** Appends one event done by `by` in `tenant` to the ledger. */
export async function recordEvent(
  ledger: AuditAppender,
  by: Principal,
  tenant: string,
  input: EventInput,
): Promise<void> {
  await ledger.append([newEvent(input, { tenant, actor: actorOf(by) })]);
}
