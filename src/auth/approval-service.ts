import { randomBytes } from 'node:crypto';
import {
  type ApprovalStatus,
  type ApprovalView,
  type CreateApprovalRequest,
  CreateApprovalRequestSchema,
  type DecideApprovalRequest,
  DecideApprovalRequestSchema,
  UpdateApprovalDigestRequestSchema,
} from '../contracts/api.js';
import { parseContract } from '../contracts/validate.js';
import type { Database, Queryable, Row } from '../store/database.js';
import { type AuditAppender, recordEvent } from './audit-appender.js';
import { AuthError } from './auth-error.js';
import { parseDuration } from './duration.js';
import { AUTH_MIGRATIONS } from './migrations.js';
import type { Principal } from './principal.js';

export interface ApprovalServiceOptions {
  /** Clock, injectable for expiry tests. */
  now?: () => Date;
}

interface ApprovalRow extends Row {
  id: string;
  tenant: string;
  subject_kind: string;
  subject_id: string;
  subject_digest: string;
  required_approvals: number;
  status: string;
  submitted_by: string;
  prepared_by: string;
  last_modified_by: string;
  note: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

interface DecisionRow extends Row {
  seq: number;
  principal_id: string;
  decision: string;
  digest: string;
  comment: string | null;
  decided_at: string;
  valid: number | boolean;
}

const APPROVAL_COLUMNS =
  'id, tenant, subject_kind, subject_id, subject_digest, required_approvals, status, submitted_by, prepared_by, last_modified_by, note, created_at, updated_at, expires_at';

/**
 * The approval primitive later features build on (dataset reviews, run and
 * release approvals). An approval is bound to `subject.digest`; it needs
 * `required_approvals` distinct approvers, none of whom submitted, prepared or
 * last modified the subject; one veto closes it; it expires; changing the digest
 * voids every earlier decision. Each transition is a `policy_decision` ledger event.
 * Callers authorise the action first (`authorize`); this service enforces the rules.
 */
export class ApprovalService {
  private readonly now: () => Date;

  private constructor(
    private readonly db: Database,
    private readonly ledger: AuditAppender,
    options: ApprovalServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Applies the auth migrations (approvals live in the auth module) and returns the service. */
  static async open(
    db: Database,
    ledger: AuditAppender,
    options: ApprovalServiceOptions = {},
  ): Promise<ApprovalService> {
    await db.migrate('auth', AUTH_MIGRATIONS);
    return new ApprovalService(db, ledger, options);
  }

  /** Opens an approval request submitted by `by`. */
  async create(by: Principal, tenant: string, request: CreateApprovalRequest): Promise<ApprovalView> {
    const req = parseContract(CreateApprovalRequestSchema, request, 'approval request');
    const lifetime = parseDuration(req.expires_in);
    const now = this.now();
    const id = `apr_${randomBytes(8).toString('hex')}`;
    await this.db.execute(
      `INSERT INTO auth_approvals (${APPROVAL_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $7, $9, $10, $10, $11)`,
      [
        id,
        tenant,
        req.subject.kind,
        req.subject.id,
        req.subject.digest,
        req.required_approvals,
        by.id,
        req.prepared_by ?? by.id,
        req.note ?? null,
        now.toISOString(),
        new Date(now.getTime() + lifetime).toISOString(),
      ],
    );
    const view = await this.load(this.db, tenant, id);
    await this.record(by, view, 'submit');
    return view;
  }

  /**
   * Reads an approval; a pending or approved one past its expiry is marked expired first.
   * @throws AuthError `auth.approval_not_found` (also for another tenant's approval)
   */
  async get(tenant: string, id: string): Promise<ApprovalView> {
    await this.expireIfDue(tenant, id);
    return this.load(this.db, tenant, id);
  }

  /** True only when the approval is approved, unexpired and bound to exactly `digest`. */
  async isApproved(tenant: string, id: string, digest: string): Promise<boolean> {
    const view = await this.get(tenant, id);
    return view.status === 'approved' && view.subject.digest === digest;
  }

  /**
   * Records an approval or veto by `by`.
   * @throws AuthError `auth.approval_not_found`, `auth.approval_expired`, `auth.approval_closed`,
   *   `auth.self_approval` (submitter, preparer or last modifier), `auth.digest_mismatch`
   *   (the approver reviewed another version), `auth.duplicate_decision`
   */
  async decide(
    by: Principal,
    tenant: string,
    id: string,
    request: DecideApprovalRequest,
  ): Promise<ApprovalView> {
    const req = parseContract(DecideApprovalRequestSchema, request, 'decision');
    if (await this.expireIfDue(tenant, id)) {
      throw new AuthError('auth.approval_expired', `approval ${id} has expired`);
    }
    const view = await this.db.transaction(
      async (tx) => {
        const row = await this.loadRow(tx, tenant, id);
        if (row.status === 'expired')
          throw new AuthError('auth.approval_expired', `approval ${id} has expired`);
        const open = req.decision === 'veto' ? ['pending', 'approved'] : ['pending'];
        if (!open.includes(row.status)) {
          throw new AuthError(
            'auth.approval_closed',
            `approval ${id} is ${row.status}; it takes no ${req.decision}`,
          );
        }
        const roles = [
          ['submitter', row.submitted_by],
          ['preparer', row.prepared_by],
          ['last modifier', row.last_modified_by],
        ].filter(([, who]) => who === by.id);
        if (roles.length > 0) {
          throw new AuthError(
            'auth.self_approval',
            `${by.id} is the ${roles.map(([r]) => r).join(' and ')} of approval ${id} and may not decide it`,
          );
        }
        if (req.digest !== row.subject_digest) {
          throw new AuthError(
            'auth.digest_mismatch',
            `decision names digest ${req.digest} but approval ${id} is bound to ${row.subject_digest}`,
          );
        }
        const decisions = await this.decisions(tx, id);
        if (decisions.some((d) => d.principal_id === by.id && isValid(d))) {
          throw new AuthError('auth.duplicate_decision', `${by.id} already decided approval ${id}`);
        }
        const now = this.now().toISOString();
        const seq = decisions.reduce((max, d) => Math.max(max, Number(d.seq)), 0) + 1;
        await tx.execute(
          `INSERT INTO auth_approval_decisions (approval_id, seq, principal_id, decision, digest, comment, decided_at, valid)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 1)`,
          [id, seq, by.id, req.decision, req.digest, req.comment ?? null, now],
        );
        const approvals = decisions.filter((d) => isValid(d) && d.decision === 'approve').length + 1;
        const status: ApprovalStatus =
          req.decision === 'veto'
            ? 'vetoed'
            : approvals >= Number(row.required_approvals)
              ? 'approved'
              : 'pending';
        await tx.execute('UPDATE auth_approvals SET status = $1, updated_at = $2 WHERE id = $3', [
          status,
          now,
          id,
        ]);
        return this.load(tx, tenant, id);
      },
      { lock: `approval:${id}` },
    );
    await this.record(by, view, req.decision, req.comment);
    return view;
  }

  /**
   * The subject changed: binds the approval to `digest`, makes `by` its last
   * modifier and voids every earlier decision (status back to pending).
   * @throws AuthError `auth.approval_not_found`, `auth.approval_expired`, `auth.approval_closed` (vetoed)
   */
  async updateDigest(by: Principal, tenant: string, id: string, digest: string): Promise<ApprovalView> {
    const req = parseContract(UpdateApprovalDigestRequestSchema, { digest }, 'digest update');
    if (await this.expireIfDue(tenant, id)) {
      throw new AuthError('auth.approval_expired', `approval ${id} has expired`);
    }
    const view = await this.db.transaction(
      async (tx) => {
        const row = await this.loadRow(tx, tenant, id);
        if (row.status === 'vetoed' || row.status === 'expired') {
          throw new AuthError('auth.approval_closed', `approval ${id} is ${row.status}`);
        }
        const now = this.now().toISOString();
        await tx.execute('UPDATE auth_approval_decisions SET valid = 0 WHERE approval_id = $1', [id]);
        await tx.execute(
          `UPDATE auth_approvals SET subject_digest = $1, last_modified_by = $2, status = 'pending', updated_at = $3
           WHERE id = $4`,
          [req.digest, by.id, now, id],
        );
        return this.load(tx, tenant, id);
      },
      { lock: `approval:${id}` },
    );
    await this.record(by, view, 'submit', 'digest changed; earlier decisions void');
    return view;
  }

  /** Marks the approval expired when it is due; returns true when it did so now. */
  private async expireIfDue(tenant: string, id: string): Promise<boolean> {
    const now = this.now().toISOString();
    const res = await this.db.execute(
      `UPDATE auth_approvals SET status = 'expired', updated_at = $1
       WHERE id = $2 AND tenant = $3 AND status IN ('pending', 'approved') AND expires_at <= $1`,
      [now, id, tenant],
    );
    if (res.changes === 0) return false;
    const view = await this.load(this.db, tenant, id);
    await this.record(null, view, 'expire');
    return true;
  }

  private async record(
    by: Principal | null,
    view: ApprovalView,
    name: 'submit' | 'approve' | 'veto' | 'expire',
    comment?: string,
  ): Promise<void> {
    const actor: Principal = by ?? {
      id: 'tunegate',
      tenant: view.tenant,
      display_name: 'tunegate',
      roles: [],
      disabled: false,
      created_at: view.created_at,
      system: true,
    };
    await recordEvent(this.ledger, actor, view.tenant, {
      operation: { category: 'policy_decision', name },
      // Keyed by the category so that the ledger's `resource_id` filter finds the approval id.
      resource: {
        policy_decision: {
          kind: 'approval',
          id: view.id,
          subject: view.subject,
          status: view.status,
          required_approvals: view.required_approvals,
          approvals: view.approvals,
          ...(comment === undefined ? {} : { comment }),
        },
      },
    });
  }

  private async loadRow(q: Queryable, tenant: string, id: string): Promise<ApprovalRow> {
    const rows = await q.query<ApprovalRow>(
      `SELECT ${APPROVAL_COLUMNS} FROM auth_approvals WHERE id = $1 AND tenant = $2`,
      [id, tenant],
    );
    const row = rows[0];
    if (!row) throw new AuthError('auth.approval_not_found', `no approval ${id} in tenant ${tenant}`);
    return row;
  }

  private decisions(q: Queryable, id: string): Promise<DecisionRow[]> {
    return q.query<DecisionRow>(
      `SELECT seq, principal_id, decision, digest, comment, decided_at, valid
       FROM auth_approval_decisions WHERE approval_id = $1 ORDER BY seq`,
      [id],
    );
  }

  private async load(q: Queryable, tenant: string, id: string): Promise<ApprovalView> {
    const row = await this.loadRow(q, tenant, id);
    const decisions = await this.decisions(q, id);
    return {
      id: row.id,
      tenant: row.tenant,
      subject: { kind: row.subject_kind, id: row.subject_id, digest: row.subject_digest },
      status: row.status as ApprovalStatus,
      required_approvals: Number(row.required_approvals),
      approvals: decisions.filter((d) => isValid(d) && d.decision === 'approve').length,
      submitted_by: row.submitted_by,
      prepared_by: row.prepared_by,
      last_modified_by: row.last_modified_by,
      note: row.note,
      created_at: row.created_at,
      updated_at: row.updated_at,
      expires_at: row.expires_at,
      decisions: decisions.map((d) => ({
        principal_id: d.principal_id,
        decision: d.decision === 'veto' ? 'veto' : 'approve',
        digest: d.digest,
        comment: d.comment,
        decided_at: d.decided_at,
        valid: isValid(d),
      })),
    };
  }
}

function isValid(d: DecisionRow): boolean {
  return Number(d.valid) === 1 || d.valid === true;
}
