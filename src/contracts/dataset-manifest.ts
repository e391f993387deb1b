import { z } from 'zod';
import { isValidSpdxExpression } from './spdx.js';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256 digest');

export const PolicyTagSchema = z.enum(['safe', 'restricted', 'internal']);
export const RiskRatingSchema = z.enum(['low', 'medium', 'high', 'critical']);
export const PiiClassificationSchema = z.enum(['none', 'pseudonymous', 'personal', 'sensitive']);
export const ConsentStatusSchema = z.enum([
  'obtained',
  'not_required',
  'public_domain',
  'withdrawn',
  'unknown',
]);

/** Regulatory regimes a dataset falls under; free-form codes are allowed if upper-case (e.g. `LGPD`). */
export const JurisdictionSchema = z
  .string()
  .regex(/^[A-Z][A-Z0-9_-]{1,31}$/, 'must be an upper-case regime code such as GDPR, HIPAA, CCPA');

export const ManifestFileSchema = z
  .object({
    /** Path relative to the dataset root, forward slashes. */
    path: z.string().min(1),
    sha256: Sha256Hex,
    bytes: z.number().int().nonnegative(),
    records: z.number().int().nonnegative().optional(),
    format: z.string().optional(),
  })
  .strict();

/** Summary statistics of a numeric distribution (lengths, token estimates). */
export const DistributionSchema = z
  .object({
    min: z.number(),
    max: z.number(),
    mean: z.number(),
    p50: z.number(),
    p90: z.number(),
    p99: z.number(),
  })
  .strict();

export const DatasetStatsSchema = z
  .object({
    record_shape: z.string().optional(),
    length_chars: DistributionSchema.optional(),
    token_estimate: DistributionSchema.optional(),
    total_token_estimate: z.number().nonnegative().optional(),
    languages: z.record(z.string(), z.number().min(0).max(1)).optional(),
    field_coverage: z.record(z.string(), z.number().min(0).max(1)).optional(),
    duplicate_rate: z.number().min(0).max(1).optional(),
    malformed_records: z.number().int().nonnegative().optional(),
  })
  .catchall(z.unknown());

/**
 * Dataset manifest: what a dataset is, where it came from, under which terms it
 * may be used, and the content digests that approvals bind to.
 */
export const DatasetManifestSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'letters, digits, ".", "_", "-" and "/" only'),
    version: z.string().min(1).max(64),
    source: z.url({ message: 'must be a URI such as s3://bucket/path or https://...' }),
    license: z
      .string()
      .refine(isValidSpdxExpression, 'must be a valid SPDX license expression (e.g. MIT, CC-BY-4.0)'),
    consent: z
      .object({
        status: ConsentStatusSchema,
        basis: z.string().max(500).optional(),
        evidence: z.string().max(2000).optional(),
      })
      .strict(),
    pii_classification: PiiClassificationSchema,
    jurisdictions: z.array(JurisdictionSchema).default([]),
    policy_tag: PolicyTagSchema,
    purpose: z.string().min(1).max(2000),
    owner: z.string().min(1).max(256),
    files: z.array(ManifestFileSchema).default([]),
    /** SHA-256 over the sorted `path\0sha256\n` lines of all files: stable across machines. */
    digest: Sha256Hex.optional(),
    record_count: z.number().int().nonnegative().optional(),
    stats: DatasetStatsSchema.optional(),
    reviewers: z.array(z.string().min(1)).default([]),
    risk_rating: RiskRatingSchema.optional(),
    description: z.string().max(10_000).optional(),
    tags: z.array(z.string()).default([]),
  })
  .strict();

export type DatasetManifest = z.output<typeof DatasetManifestSchema>;
export type DatasetManifestInput = z.input<typeof DatasetManifestSchema>;
export type ManifestFile = z.output<typeof ManifestFileSchema>;
export type PolicyTag = z.output<typeof PolicyTagSchema>;
