import { sql, type Kysely } from 'kysely';

/**
 * The export audit log is written only through the database's own functions (migration 0006):
 * they set the login, the time, the backend and the transaction themselves, and an unmasked
 * entry is what opens the masked views for the rest of its transaction. So a view in clear is
 * audited by construction, from the CLI or from psql alike.
 */
export interface AuditEntry {
  /** who the caller says it is; kept for trusted sessions, replaced by the login for any other */
  operator: string;
  purpose: string | null;
  period: string;
  format: string;
  filters: Record<string, unknown>;
  masked: boolean;
  file: string;
}

export async function beginAudit(db: Kysely<any>, entry: AuditEntry): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    select safetynet_audit_begin(${entry.operator}, ${entry.purpose}, ${entry.period}, ${entry.format},
                                 ${JSON.stringify(entry.filters)}::jsonb, ${entry.masked}, ${entry.file}) as id`.execute(db);
  return Number(rows[0]!.id);
}

export async function finishAudit(db: Kysely<any>, auditId: number, result: { rows: number; sha256: string; file?: string }): Promise<void> {
  await sql`select safetynet_audit_finish(${auditId}, ${result.rows}, ${result.sha256}, ${result.file ?? null})`.execute(db);
}
