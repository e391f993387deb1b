import type {
  AppendEventsResponse,
  ApprovalView,
  CheckpointView,
  ConsistencyProofView,
  CreateApprovalRequest,
  CreatedToken,
  CreatePrincipalRequest,
  CreateTokenRequest,
  DecideApprovalRequest,
  EventListQuery,
  EventPage,
  ExportQuery,
  InclusionProofView,
  PrincipalView,
  PublicKeyView,
  ReceiptView,
  TokenView,
  VerifyResultView,
} from '../contracts/api.js';
import type { EventInput, LedgerEntry } from '../contracts/event.js';

/**
 * Everything a caller can do with tunegate, as one principal. The embedded
 * implementation (`TunegateService.as(...)`) authorises and calls the domain
 * services in-process; the CLI's remote client implements the same interface
 * over HTTP, so commands are written once for both modes.
 */
export interface TunegateClient {
  whoami(): Promise<PrincipalView>;

  appendEvents(events: EventInput[]): Promise<AppendEventsResponse>;
  queryEvents(query: EventListQuery): Promise<EventPage>;
  getEvent(index: number): Promise<LedgerEntry>;

  checkpoint(): Promise<CheckpointView>;
  inclusionProof(index: number, treeSize?: number): Promise<InclusionProofView>;
  consistencyProof(fromSize: number, toSize?: number): Promise<ConsistencyProofView>;
  receipt(index: number): Promise<ReceiptView>;
  verify(options: { checkpoint?: string }): Promise<VerifyResultView>;
  /** Streams the export as text chunks (one record per line for jsonl/cloudevents/openlineage). */
  exportEvents(query: ExportQuery): AsyncIterable<string>;
  publicKey(): Promise<PublicKeyView>;

  createToken(request: CreateTokenRequest): Promise<CreatedToken>;
  listTokens(principalId?: string): Promise<TokenView[]>;
  revokeToken(tokenId: string): Promise<TokenView>;

  createPrincipal(request: CreatePrincipalRequest): Promise<PrincipalView>;
  listPrincipals(): Promise<PrincipalView[]>;
  disablePrincipal(id: string): Promise<PrincipalView>;

  createApproval(request: CreateApprovalRequest): Promise<ApprovalView>;
  getApproval(id: string): Promise<ApprovalView>;
  decideApproval(id: string, request: DecideApprovalRequest): Promise<ApprovalView>;
  updateApprovalDigest(id: string, digest: string): Promise<ApprovalView>;
}
