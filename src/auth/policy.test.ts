import { describe, expect, it } from 'vitest';
import { ROLES } from '../contracts/role.js';
import { ACTIONS, authorize, POLICY } from './policy.js';
import type { Principal } from './principal.js';

function principal(roles: Principal['roles'], tenant = 'acme', disabled = false): Principal {
  return { id: 'p', tenant, display_name: 'p', roles, disabled, created_at: '2030-01-01T00:00:00.000Z' };
}

describe('authorize', () => {
  it('allows exactly the roles the table lists, for every action', () => {
    for (const action of ACTIONS) {
      for (const role of ROLES) {
        const allowed = (POLICY[action] as readonly string[]).includes(role);
        const call = () => authorize(principal([role]), action, 'acme');
        if (allowed) expect(call).not.toThrow();
        else expect(call).toThrow(expect.objectContaining({ code: 'auth.forbidden' }));
      }
    }
  });

  it('denies another tenant even to an admin', () => {
    expect(() => authorize(principal(['admin']), 'events.read', 'other')).toThrow(
      expect.objectContaining({ code: 'auth.cross_tenant' }),
    );
  });

  it('denies a disabled principal', () => {
    expect(() => authorize(principal(['admin'], 'acme', true), 'events.read', 'acme')).toThrow(
      expect.objectContaining({ code: 'auth.principal_disabled' }),
    );
  });

  it('keeps separation of duties: admins do not decide approvals, approvers do not submit', () => {
    expect(POLICY['approvals.decide']).not.toContain('admin');
    expect(POLICY['approvals.create']).not.toContain('approver');
    expect(POLICY['tokens.create']).toEqual(['admin']);
  });
});
