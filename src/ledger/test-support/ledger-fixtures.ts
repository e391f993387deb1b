import type { EventEnvelope, EventInput } from '../../contracts/event.js';
import { newEvent } from '../event-factory.js';

const INPUTS: EventInput[] = [
  {
    operation: { category: 'training_run', name: 'start' },
    resource: {
      training_run: { run_id: 'run-1', base_model: 'llama-3-8b', datasets: ['support-tickets@3'] },
    },
    context: { orchestrator: 'airflow', risk_signals: { pii: true } },
  },
  {
    operation: { category: 'dataset_ingest', name: 'register' },
    resource: { dataset_ingest: { name: 'support-tickets', version: '3', source: 's3://bucket/tickets/' } },
  },
  { operation: { category: 'access', name: 'token_create' }, resource: { principal: { id: 'bob' } } },
  {
    operation: { category: 'training_run', name: 'end' },
    resource: { training_run: { run_id: 'run-1', status: 'failed', output_model: 'llama-3-8b-support' } },
  },
];

/** Event `i` of a deterministic rotation of realistic events for tenant `tenant`. */
export function sampleEvent(i: number, tenant = 'acme', actor = `user-${i % 3}`): EventEnvelope {
  const input = structuredClone(INPUTS[i % INPUTS.length] as EventInput);
  const resource = input.resource as Record<string, Record<string, unknown>>;
  const runKind = resource.training_run;
  if (runKind) runKind.run_id = `run-${Math.floor(i / 4)}`;
  return newEvent(input, { tenant, actor: { id: actor, type: 'principal' } });
}
