import { z } from 'zod';

/** The audit log's variables. */
export const auditEnv = {
  /** How long audit entries are kept; entries behind current state are kept longer. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(400),
  /** How often expired entries are removed (one replica does it). */
  AUDIT_EXPIRY_INTERVAL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
};

export type AuditConfig = z.infer<z.ZodObject<typeof auditEnv>>;
