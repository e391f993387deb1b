import { createHash } from 'node:crypto';
import type { EventEnvelope, LedgerEntry } from '../contracts/event.js';
import { TOOL_VERSION } from '../contracts/tool-version.js';
import { canonicalJson } from './canonical-json.js';
import { resourceIdOf } from './event-factory.js';

/**
 * Mappings from ledger entries to interchange formats: CloudEvents 1.0
 * structured JSON and OpenLineage 2-0-2 RunEvents.
 */

/** OpenLineage `producer`: who wrote the metadata. */
export const OPENLINEAGE_PRODUCER = `https://github.com/tunegate/tunegate/tree/v${TOOL_VERSION}`;
export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
/** UUIDv5 namespace for run ids derived from non-UUID run identifiers. */
const RUN_ID_NAMESPACE = 'b6f1c8e2-4f5a-5d7e-9c3b-2a1d0e9f8c7b';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A CloudEvents 1.0 structured-mode event. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  /** Extension attributes: the ledger index and tenant. */
  tunegateindex: number;
  tunegatetenant: string;
  data: EventEnvelope;
}

/** Maps one entry to a CloudEvent (`type` `dev.tunegate.<category>.<name>`, `source` `tunegate://<origin>`). */
export function toCloudEvent(entry: LedgerEntry, origin: string): CloudEvent {
  const { event } = entry;
  const subject = resourceIdOf(event);
  return {
    specversion: '1.0',
    id: event.id,
    source: `tunegate://${encodeURI(origin)}`,
    type: `dev.tunegate.${event.operation.category}.${event.operation.name}`,
    time: event.time,
    ...(subject !== null ? { subject } : {}),
    datacontenttype: 'application/json',
    tunegateindex: entry.index,
    tunegatetenant: event.tenant,
    data: event,
  };
}

interface OpenLineageDataset {
  namespace: string;
  name: string;
}

/** An OpenLineage 2-0-2 RunEvent. */
export interface OpenLineageRunEvent {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string };
  job: { namespace: string; name: string };
  inputs: OpenLineageDataset[];
  outputs: OpenLineageDataset[];
}

/** Deterministic UUIDv5 (RFC 9562) of `name` in `namespace`. */
export function uuidV5(name: string, namespace = RUN_ID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A dataset reference given as a string or `{name|id, namespace?, version?}`. */
function datasetRef(value: unknown, defaultNamespace: string): OpenLineageDataset | null {
  if (typeof value === 'string' && value.length > 0) return { namespace: defaultNamespace, name: value };
  const r = record(value);
  const name = str(r.name) ?? str(r.id) ?? str(r.dataset_id) ?? str(r.uri) ?? str(r.source);
  if (!name) return null;
  const version = str(r.version);
  return { namespace: str(r.namespace) ?? defaultNamespace, name: version ? `${name}@${version}` : name };
}

function datasetList(value: unknown, defaultNamespace: string): OpenLineageDataset[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items.map((v) => datasetRef(v, defaultNamespace)).filter((d): d is OpenLineageDataset => d !== null);
}

const FAILED_STATUS = /^(fail|failed|failure|error|errored|crashed)$/i;
const ABORTED_STATUS = /^(abort|aborted|cancel|cancelled|canceled|killed|stopped)$/i;

function terminalType(status: unknown): OpenLineageRunEvent['eventType'] {
  const s = str(status) ?? '';
  if (FAILED_STATUS.test(s)) return 'FAIL';
  if (ABORTED_STATUS.test(s)) return 'ABORT';
  return 'COMPLETE';
}

/**
 * Maps a `training_run` or `dataset_ingest` entry to an OpenLineage RunEvent;
 * null for other categories. Run ids that are not UUIDs become UUIDv5 of
 * `<tenant>/<category>/<id>`, so every event of one run shares a runId.
 */
export function toOpenLineageRunEvent(entry: LedgerEntry, origin: string): OpenLineageRunEvent | null {
  const { event } = entry;
  const { category, name } = event.operation;
  if (category !== 'training_run' && category !== 'dataset_ingest') return null;
  const res = record(
    event.resource[category] ?? event.resource[category === 'dataset_ingest' ? 'dataset' : 'run'],
  );
  const namespace = `tunegate://${encodeURI(origin)}/${event.tenant}`;
  const runKey = resourceIdOf(event) ?? event.id;
  const runId = UUID_RE.test(runKey) ? runKey.toLowerCase() : uuidV5(`${event.tenant}/${category}/${runKey}`);
  let eventType: OpenLineageRunEvent['eventType'];
  let jobName: string;
  let inputs: OpenLineageDataset[];
  let outputs: OpenLineageDataset[];
  if (category === 'training_run') {
    eventType =
      name === 'start'
        ? 'START'
        : name === 'heartbeat' || name === 'anomaly'
          ? 'RUNNING'
          : name === 'end'
            ? terminalType(res.status)
            : 'OTHER';
    jobName = `training_run.${str(res.job) ?? str(res.base_model) ?? runKey}`;
    inputs = [
      ...datasetList(res.datasets, `${namespace}/datasets`),
      ...datasetList(res.base_model, `${namespace}/models`),
    ];
    outputs = datasetList(res.output_model ?? res.model, `${namespace}/models`);
  } else {
    eventType =
      name === 'register'
        ? 'START'
        : name === 'manifest'
          ? 'RUNNING'
          : name === 'scan'
            ? terminalType(res.status)
            : 'OTHER';
    const dataset = datasetRef(res, `${namespace}/datasets`);
    jobName = `dataset_ingest.${dataset?.name ?? runKey}`;
    inputs = datasetList(res.source ?? res.uri, 'external');
    outputs = dataset ? [dataset] : [];
  }
  return {
    eventType,
    eventTime: event.time,
    producer: OPENLINEAGE_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId },
    job: { namespace, name: jobName },
    inputs,
    outputs,
  };
}

/** One export line (without newline) for `format`, or null when the entry has no mapping. */
export function exportLine(
  format: 'jsonl' | 'cloudevents' | 'openlineage',
  entry: LedgerEntry,
  origin: string,
): string | null {
  if (format === 'jsonl') return canonicalJson(entry);
  if (format === 'cloudevents') return JSON.stringify(toCloudEvent(entry, origin));
  const run = toOpenLineageRunEvent(entry, origin);
  return run ? JSON.stringify(run) : null;
}
