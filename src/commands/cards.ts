import { readRegionNames, regionWithName } from '../export/region-label.js';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { fileAccess, openMigrated, outputLang, resolveConfig, type GlobalOptions } from '../context.js';
import { enterExportScope, requireScopeGranted } from '../db/roles.js';
import { requireSucceededRun } from '../db/runs.js';
import { withTransaction } from '../db/transaction.js';
import { UsageError } from '../errors.js';
import { beginAudit, finishAudit } from '../export/audit-log.js';
import { operatorName } from '../export/audited-export.js';
import { householdCard, type CardLang, type HouseholdCard } from '../export/household-card.js';
import { listPlaces } from '../export/list-rank.js';
import { assertWritableTarget, writeFileAtomically } from '../export/output-file.js';
import { configuredRegion, resolveRegionScope } from '../export/region-scope.js';
import { renderVisitCards } from '../export/visit-cards.js';
import { beyondCapacityByStreet, capacityCuts, logCapacityCuts, requiredStreetCapacity, withinCapacity, type StreetCut } from '../export/street-capacity.js';
import { auditVisits } from '../score/audit-sample.js';
import { assertPeriod } from '../period.js';

export interface CardsOptions extends GlobalOptions {
  period: string;
  /** the street (9 digits) or community (12) whose listed households get a card */
  region: string;
  out: string;
  lang?: CardLang;
  unmasked?: boolean;
  purpose?: string;
  operator?: string;
  /** only the listed households within the street's visits a month (visits.capacity, visits.capacityFile) */
  capacity?: boolean;
  /** false: no cards for the month's audit visits */
  audit?: boolean;
}

export interface CardsResult {
  households: number;
  /** of them, audit visits */
  audit_visits: number;
  file: string;
  sha256: string;
  /** with `capacity`: listed households beyond it, per street */
  beyond_capacity?: Record<string, number>;
}

/**
 * `safetynet cards`: a street's visit cards, one printable page per listed household. Read as
 * `explain` and `export` read: as the exporter under row security limited to the region, through
 * the masked views, with one audit row for the batch (rows: the households), committed before the
 * file is put in place.
 */
export async function cardsCommand(opts: CardsOptions, log: Logger): Promise<CardsResult> {
  const period = assertPeriod(opts.period);
  if (!/^(\d{9}|\d{12})$/.test(opts.region ?? '')) {
    throw new UsageError(`--region "${opts.region ?? ''}" must be a 9-digit street or a 12-digit community code: cards are printed for one street's visits`);
  }
  if (opts.unmasked && !opts.purpose?.trim()) {
    throw new UsageError('--unmasked needs --purpose: why names and ID numbers are needed in clear goes into the audit log');
  }
  if (!opts.out || opts.out === '-') throw new UsageError('--out FILE.html is required: the cards are a file to print, not terminal output');
  const target = resolve(opts.out);
  // before the database is opened: nothing read, nothing audited for a file that cannot be written
  await assertWritableTarget(target);
  const lang: CardLang = outputLang(opts);
  const { scope } = resolveRegionScope(opts.region, configuredRegion(opts.config));
  const loaded = resolveConfig(opts);
  const access = await fileAccess(loaded);
  const capacity = opts.capacity ? requiredStreetCapacity(loaded) : undefined;
  if (capacity && opts.region.length === 12) {
    throw new UsageError(`--capacity is a street's visits a month: give the street (--region ${opts.region.slice(0, 9)}), not a community`);
  }
  let cuts: StreetCut[] = [];
  const operator = operatorName(opts.operator);
  const database = await openMigrated(opts, log);
  try {
    const write = (out: Writable) =>
      withTransaction(database.pool, async (tx) => {
        // one snapshot for the list and every card
        await tx.client.query('set transaction isolation level repeatable read');
        const secured = await enterExportScope(tx.db, scope);
        const seen = secured ? await requireScopeGranted(tx.db, scope) : null;
        await requireSucceededRun(tx.db, period);
        // the audit row first: an unmasked one is what opens the masked views to this transaction
        const auditId = await beginAudit(tx.db, {
          operator,
          purpose: opts.purpose ?? null,
          period,
          format: 'visit-cards',
          filters: { region: opts.region, lang, row_security: secured, scope: seen },
          masked: !opts.unmasked,
          file: target,
        });
        const regionNames = await readRegionNames(tx.db);
        const cardOptions = { unmasked: opts.unmasked, lang, region: opts.region, readerScope: secured ? seen : scope, regionNames };
        const cards: HouseholdCard[] = [];
        if (capacity) cuts = await capacityCuts(tx.db, capacity, { period, region: opts.region });
        const within = capacity ? withinCapacity(capacity, { period, region: opts.region }, 'household_id') : undefined;
        for (const place of await listPlaces(tx.db, { period, region: opts.region, where: within })) {
          cards.push(await householdCard(tx.db, period, place.household_id, cardOptions));
        }
        // the audit visits after the listed ones, as on the street's list
        const audit = new Set(opts.audit === false ? [] : await auditVisits(tx.db, { period, region: opts.region }));
        for (const householdId of audit) cards.push(await householdCard(tx.db, period, householdId, cardOptions));
        const html = renderVisitCards(cards, { period, region: regionWithName(opts.region!, regionNames, lang), lang, masked: !opts.unmasked, audit });
        const sha256 = createHash('sha256').update(html).digest('hex');
        await new Promise<void>((done, fail) => out.end(html, (err?: Error | null) => (err ? fail(err) : done())));
        await finishAudit(tx.db, auditId, { rows: cards.length, sha256 });
        return { households: cards.length, audit_visits: audit.size, file: target, sha256 };
      });
    const result = await writeFileAtomically(target, write, access);
    if (result.households === 0) log.warn({ period, region: opts.region }, 'no household of this region is on the list: the file says so');
    if (opts.unmasked) log.warn({ period, region: opts.region, households: result.households, operator, purpose: opts.purpose, file: target }, 'UNMASKED visit cards');
    logCapacityCuts(log, period, cuts, 'no card');
    log.info({ period, region: opts.region, households: result.households, audit_visits: result.audit_visits, file: target, sha256: result.sha256 }, 'visit cards written');
    return capacity ? { ...result, beyond_capacity: beyondCapacityByStreet(cuts) } : result;
  } finally {
    await database.close();
  }
}
