import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { runMonth, type MonthSummary } from '../../jobs/run-month.js';
import { completePeriodFiles } from '../../jobs/period-files.js';
import { exportsFolder, resolveConfig, resolveHome, openMigrated, type GlobalOptions } from '../context.js';
import { listCounts } from '../export/warning-list.js';
import { assertPeriod, notDeliveredNote, periodWindow } from '../period.js';
import { periodsInInbox } from '../pull/inbox.js';
import { pullPeriod } from '../pull/pull-period.js';
import { UsageError } from '../errors.js';

export interface RunCommandOptions extends GlobalOptions {
  /** a local inbox; without it the config's operation.sources are fetched (or operation.inbox used) */
  inbox?: string;
  /** omitted: every period folder of the inbox, oldest first */
  period?: string;
  json?: boolean;
  /** write the period's warning list under SAFETYNET_HOME/exports (default true) */
  export?: boolean;
}

export interface RunCommandResult {
  summaries: MonthSummary[];
}

/** `safetynet run`: the monthly run of one period (or every period of an inbox). */
export async function runCommand(opts: RunCommandOptions, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<RunCommandResult> {
  const config = resolveConfig(opts);
  const op = config.config.operation;
  const fetching = !opts.inbox && op.sources !== null;
  if (!opts.inbox && !fetching && !op.inbox) {
    throw new UsageError('run needs --inbox DIR, or operation.sources / operation.inbox in the config file');
  }
  let inbox = resolve(opts.inbox ?? op.inbox ?? join(resolveHome(opts), 'pulled'));
  if (fetching && !opts.period) throw new UsageError('run with fetched sources needs --period YYYY-MM');
  if (!fetching && !(await stat(inbox).then((s) => s.isDirectory(), () => false))) throw new UsageError(`inbox ${inbox} is not a folder`);
  const periods = opts.period ? [assertPeriod(opts.period)] : await periodsInInbox(inbox);
  if (periods.length === 0) throw new UsageError(`no period folders (YYYY-MM) in ${inbox}`);
  if (fetching) {
    // fetched before the database is opened: a department's server down or a full disk is said
    // as itself, with nothing of the database touched; files not delivered yet are found
    // (and the month recorded as waiting) by the run, as for a local inbox
    inbox = (await pullPeriod(op, resolveHome(opts), periods[0]!, log, config.config.departments)).inbox;
  }
  const database = await openMigrated(opts, log);
  const summaries: RunCommandResult['summaries'] = [];
  try {
    const folder = opts.export !== false ? await exportsFolder(opts, config) : null;
    // a run killed after an earlier commit left a period succeeded without its files: they
    // come first, from what was committed, so that a rerun that fails still leaves them whole
    if (folder) await completePeriodFiles(database, folder, periods, log);
    for (const period of periods) {
      const summary = await runMonth({ database, config, log, home: resolveHome(opts) }, { period, inbox, files: folder });
      summaries.push(summary);
      if (opts.json) {
        const { period: p, sources, households_scored, warnings, identity_rescue, not_delivered, warning_list, quality_report } = summary;
        out.write(`${JSON.stringify({ period: p, sources, households_scored, warnings, identity_rescue, not_delivered, warning_list, quality_report })}\n`);
      } else {
        const counts = await listCounts(database.db, period);
        const rejected = Object.values(summary.sources).reduce((n, s) => n + s.rows_rejected, 0);
        const rescue = Object.values(summary.identity_rescue).reduce((n, r) => ({ rescued: n.rescued + r.rescued, review: n.review + r.review }), { rescued: 0, review: 0 });
        const rescueNote = [
          rescue.rescued ? `${rescue.rescued} linked by the identity rescue` : '',
          rescue.review ? `${rescue.review} waiting in: safetynet review --period ${period}` : '',
        ].filter(Boolean).join('; ');
        out.write(
          `${period}: ${summary.households_scored} households scored, ${counts.uncovered} to visit (score ${config.config.warningThreshold}+)` +
            (counts.covered ? `, ${counts.covered} already covered (listed separately)` : '') +
            (rejected ? `, ${rejected} row${rejected === 1 ? '' : 's'} rejected (see the data-quality report${rescueNote ? `; ${rescueNote}` : ''})` : '') +
            '\n' +
            (summary.default_standard
              ? `  WARNING: ${summary.default_standard} households have no local dibao standard in ${join(summary.inbox, 'dibao-standards.csv')}; the config default was used\n`
              : '') +
            // an optional department that has not delivered: the month ran on its latest extract
            Object.keys(summary.not_delivered).map((id) => `  ${notDeliveredNote(periodWindow(period, null, summary.not_delivered), id)}\n`).join('') +
            `  audit visits:        ${summary.audit_visits} drawn among the households the list leaves out (on the streets' lists after the listed)\n` +
            Object.entries(summary.beyond_capacity)
              .filter(([, n]) => n > 0)
              .map(([street, n]) => `  street ${street}: ${n} listed household${n === 1 ? '' : 's'} beyond its visits a month (export --capacity)\n`)
              .join('') +
            (summary.warning_list ? `  warning list:        ${summary.warning_list}\n  data-quality report: ${summary.quality_report}\n` : ''),
        );
      }
    }
  } finally {
    await database.close();
  }
  return { summaries };
}
