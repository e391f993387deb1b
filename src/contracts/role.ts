import { z } from 'zod';

/**
 * Roles a principal can hold. `runner` is a training job's own identity,
 * issued short-lived and scoped to one run.
 */
export const ROLES = [
  'admin',
  'data_steward',
  'ml_engineer',
  'approver',
  'security_officer',
  'auditor',
  'runner',
] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.output<typeof RoleSchema>;
