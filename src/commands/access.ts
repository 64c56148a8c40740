import type { Logger } from 'pino';
import { openMigrated, type GlobalOptions } from '../context.js';
import { grantExportScope, listExportScopes, loginExists, revokeExportScope } from '../db/export-scope.js';
import { ROLES } from '../db/roles.js';
import { UsageError } from '../errors.js';
import { REGION_CODE } from '../export/region-scope.js';

export interface AccessOptions extends GlobalOptions {
  action: 'grant' | 'revoke' | 'list';
  login?: string;
  region?: string;
  note?: string;
  json?: boolean;
}

/**
 * `safetynet access`: which database login may export which region. The database enforces it
 * (migration 0006): an exporter login sees its region and nothing else, whatever scope its
 * process asks for. Only the owner (or an admin acting as it) may change it.
 */
export async function accessCommand(opts: AccessOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (opts.action === 'grant') {
    if (!opts.login) throw new UsageError('access grant needs the login: safetynet access grant LOGIN --region CODE');
    if (!opts.region || !REGION_CODE.test(opts.region)) {
      throw new UsageError(`access grant needs --region: a 6-digit county, 9-digit street or 12-digit community code${opts.region ? ` (got "${opts.region}")` : ''}`);
    }
  }
  if (opts.action === 'revoke' && !opts.login) throw new UsageError('access revoke needs the login: safetynet access revoke LOGIN');
  const database = await openMigrated(opts, log);
  try {
    if (opts.action === 'grant') {
      if (!(await loginExists(database.db, opts.login!))) {
        throw new UsageError(`there is no database login "${opts.login}": create it first (for example: create role "${opts.login}" login password '…' in role ${ROLES.exporter})`);
      }
      await grantExportScope(database.db, opts.login!, opts.region!, opts.note ?? null);
      log.info({ login: opts.login, region: opts.region }, 'export scope granted');
      out.write(`${opts.login} may export region ${opts.region}\n`);
    } else if (opts.action === 'revoke') {
      const removed = await revokeExportScope(database.db, opts.login!);
      log.info({ login: opts.login, removed }, 'export scope revoked');
      out.write(removed ? `${opts.login} may export nothing now\n` : `${opts.login} had no export scope\n`);
    } else {
      const scopes = await listExportScopes(database.db);
      if (opts.json) {
        for (const s of scopes) out.write(`${JSON.stringify(s)}\n`);
        return;
      }
      if (scopes.length === 0) out.write('no login has an export scope: exporter logins see no household\n');
      for (const s of scopes) {
        out.write(`${s.login.padEnd(24)} ${s.region_prefix.padEnd(12)} granted by ${s.granted_by} on ${new Date(s.granted_at).toISOString().slice(0, 10)}${s.note ? `  ${s.note}` : ''}\n`);
      }
    }
  } finally {
    await database.close();
  }
}
