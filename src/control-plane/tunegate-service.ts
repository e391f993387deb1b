import type { Action, ApprovalService, AuthContext, IdentityService, Principal } from '../auth/index.js';
import { actorOf, authorize } from '../auth/index.js';
import {
  type AppendEventsResponse,
  type ApprovalView,
  type CheckpointView,
  type ConsistencyProofView,
  type CreateApprovalRequest,
  type CreatedToken,
  type CreatePrincipalRequest,
  type CreateTokenRequest,
  type DecideApprovalRequest,
  type EventListQuery,
  EventListQuerySchema,
  type EventPage,
  type ExportQuery,
  ExportQuerySchema,
  type InclusionProofView,
  type PrincipalView,
  type PublicKeyView,
  type ReceiptView,
  type TokenView,
  type VerifyResultView,
} from '../contracts/api.js';
import type { EventInput, LedgerEntry } from '../contracts/event.js';
import { parseContract } from '../contracts/validate.js';
import { type Ledger, LedgerError, newEvent } from '../ledger/index.js';
import type { TunegateClient } from './tunegate-client.js';

/** The services a {@link TunegateService} composes. */
export interface TunegateServices {
  ledger: Ledger;
  identities: IdentityService;
  approvals: ApprovalService;
}

/**
 * The application service behind every surface: for one authenticated principal
 * it names the policy action of each operation, authorises it with `authorize`
 * (the single decision point), scopes data to the principal's tenant and calls
 * the domain services. The HTTP server and the embedded CLI both go through it.
 */
export class TunegateService {
  constructor(private readonly services: TunegateServices) {}

  /** A client acting as `auth.principal`. */
  as(auth: AuthContext): TunegateClient {
    return new PrincipalSession(this.services, auth.principal);
  }

  /** Resolves a bearer token (see `IdentityService.authenticate`). */
  authenticate(secret: string): Promise<AuthContext> {
    return this.services.identities.authenticate(secret);
  }
}

class PrincipalSession implements TunegateClient {
  private readonly tenant: string;

  constructor(
    private readonly s: TunegateServices,
    private readonly principal: Principal,
  ) {
    this.tenant = principal.tenant;
  }

  private allow(action: Action, resourceTenant = this.tenant): void {
    authorize(this.principal, action, resourceTenant);
  }

  async whoami(): Promise<PrincipalView> {
    this.allow('session.whoami');
    const { system: _system, ...view } = this.principal;
    return view;
  }

  async appendEvents(events: EventInput[]): Promise<AppendEventsResponse> {
    this.allow('events.append');
    const actor = actorOf(this.principal);
    // Every envelope is built (and validated) before anything is appended: a bad event rejects the batch.
    const envelopes = events.map((e) => newEvent(e, { tenant: this.tenant, actor }));
    const appended = await this.s.ledger.append(envelopes);
    return { appended: appended.map((a) => ({ index: a.index, id: a.id, leaf_hash: a.leafHash })) };
  }

  async queryEvents(query: EventListQuery): Promise<EventPage> {
    const q = parseContract(EventListQuerySchema, query, 'event query');
    this.allow('events.read', q.tenant ?? this.tenant);
    const page = await this.s.ledger.query({ ...q, tenant: this.tenant });
    return { entries: page.entries, next_cursor: page.nextCursor ?? null };
  }

  async getEvent(index: number): Promise<LedgerEntry> {
    this.allow('events.read');
    const entry = await this.entryAt(index);
    this.allow('events.read', entry.event.tenant);
    return entry;
  }

  async checkpoint(): Promise<CheckpointView> {
    this.allow('audit.read');
    const cp = await this.s.ledger.latestCheckpoint();
    return { size: cp.size, root_hash: cp.rootHash, text: cp.text };
  }

  async inclusionProof(index: number, treeSize?: number): Promise<InclusionProofView> {
    this.allow('audit.read');
    const p = await this.s.ledger.inclusionProof(index, treeSize);
    return { index: p.index, tree_size: p.treeSize, leaf_hash: p.leafHash, hashes: p.hashes };
  }

  async consistencyProof(fromSize: number, toSize?: number): Promise<ConsistencyProofView> {
    this.allow('audit.read');
    const p = await this.s.ledger.consistencyProof(fromSize, toSize);
    return { from_size: p.fromSize, to_size: p.toSize, hashes: p.hashes };
  }

  async receipt(index: number): Promise<ReceiptView> {
    this.allow('audit.read');
    // A receipt carries the event itself, so it is tenant data.
    const entry = await this.entryAt(index);
    this.allow('audit.read', entry.event.tenant);
    return this.s.ledger.receipt(index);
  }

  async verify(options: { checkpoint?: string }): Promise<VerifyResultView> {
    this.allow('audit.verify');
    const r = await this.s.ledger.verify(
      options.checkpoint === undefined ? {} : { checkpoint: options.checkpoint },
    );
    return { ok: r.ok, size: r.size, first_bad_index: r.first_bad_index, reason: r.reason };
  }

  async *exportEvents(query: ExportQuery): AsyncIterable<string> {
    const q = parseContract(ExportQuerySchema, query, 'export query');
    this.allow('audit.export', q.tenant ?? this.tenant);
    const { format, ...filter } = q;
    yield* this.s.ledger.export(format, { ...filter, tenant: this.tenant });
  }

  async publicKey(): Promise<PublicKeyView> {
    this.allow('audit.read');
    return { verifier_key: this.s.ledger.publicKey(), origin: this.s.ledger.origin };
  }

  private async entryAt(index: number): Promise<LedgerEntry> {
    const entry = await this.s.ledger.getByIndex(index);
    if (entry === null) throw new LedgerError('ledger.not_found', `the log has no entry ${index}`);
    return entry;
  }

  async createToken(request: CreateTokenRequest): Promise<CreatedToken> {
    this.allow('tokens.create');
    return this.s.identities.createToken(this.principal, this.tenant, request);
  }

  async listTokens(principalId?: string): Promise<TokenView[]> {
    this.allow('tokens.list');
    return this.s.identities.listTokens(this.tenant, principalId);
  }

  async revokeToken(tokenId: string): Promise<TokenView> {
    this.allow('tokens.revoke');
    return this.s.identities.revokeToken(this.principal, this.tenant, tokenId);
  }

  async createPrincipal(request: CreatePrincipalRequest): Promise<PrincipalView> {
    this.allow('principals.create');
    return this.s.identities.createPrincipal(this.principal, this.tenant, request);
  }

  async listPrincipals(): Promise<PrincipalView[]> {
    this.allow('principals.list');
    return this.s.identities.listPrincipals(this.tenant);
  }

  async disablePrincipal(id: string): Promise<PrincipalView> {
    this.allow('principals.disable');
    return this.s.identities.disablePrincipal(this.principal, this.tenant, id);
  }

  async createApproval(request: CreateApprovalRequest): Promise<ApprovalView> {
    this.allow('approvals.create');
    return this.s.approvals.create(this.principal, this.tenant, request);
  }

  async getApproval(id: string): Promise<ApprovalView> {
    this.allow('approvals.read');
    return this.s.approvals.get(this.tenant, id);
  }

  async decideApproval(id: string, request: DecideApprovalRequest): Promise<ApprovalView> {
    this.allow('approvals.decide');
    return this.s.approvals.decide(this.principal, this.tenant, id, request);
  }

  async updateApprovalDigest(id: string, digest: string): Promise<ApprovalView> {
    this.allow('approvals.update');
    return this.s.approvals.updateDigest(this.principal, this.tenant, id, digest);
  }
}
