import cron from 'node-cron';
import { z } from 'zod';
import { headerKey, isRequired, type DepartmentSettings } from '../ingest/department.js';
import { departmentIds, departments, findDepartment } from '../ingest/departments.js';
import { visitOutcomes } from '../visits/outcomes.js';
import { DIMENSIONS, type DimensionId, type Dimensions } from '../../scoring/dimensions.js';

const share = z.number().min(0).max(1);
const points = z.number().min(0).max(100);
const yuan = z.number().positive();

/** A model's `weights`: one share per dimension, by id. */
function weightsShape<const D extends Dimensions>(dimensions: D) {
  return Object.fromEntries(dimensions.map((d) => [d.id, share])) as { [K in D[number] as K['id']]: typeof share };
}

/** A model's constants: each dimension's section, as it declares it. */
function sectionsShape<const D extends Dimensions>(dimensions: D) {
  return Object.fromEntries(dimensions.map((d) => [d.section, d.schema])) as { [K in D[number] as K['section']]: K['schema'] };
}

export const weightsSchema = z.strictObject(weightsShape(DIMENSIONS));

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Where one file comes from: a path, file:// or http(s):// URL with {period}, and request headers. */
const locationSchema = z.strictObject({
  location: z.string().min(1),
  /** values may name environment variables as ${NAME}: tokens stay out of the config file */
  headers: z.record(z.string(), z.string()).default({}),
});

/** Files of operation.sources that are not a department's. */
const OTHER_SOURCES = ['manifest', 'dibao-standards'];

/** A key of a by-department record that names no registered department, worded with the valid ones. */
const unknownDepartment = (id: string, others: string[] = []) =>
  `no department "${id}" is registered; valid: ${[...departmentIds(), ...others].join(', ')}`;

/**
 * A bureau's settings for one department: whether a month waits for it, more names for its
 * columns' headers, and its own codes for their values (`特重` → `1`). The department and its
 * columns are checked against the registry when the config is parsed.
 */
const departmentSettingsSchema = z.strictObject({
  required: z.boolean().optional(),
  columns: z
    .record(
      z.string(),
      z.strictObject({
        aliases: z.array(z.string().trim().min(1, 'an alias may not be empty')).optional(),
        values: z.record(z.string().trim().min(1, 'a code may not be empty'), z.string()).optional(),
      }),
    )
    .optional(),
}) satisfies z.ZodType<DepartmentSettings>;

const departmentsSchema = z.record(z.string(), departmentSettingsSchema).superRefine((byId, ctx) => {
  for (const [id, settings] of Object.entries(byId)) {
    const def = findDepartment(id);
    if (!def) {
      ctx.addIssue({ code: 'custom', path: [id], message: unknownDepartment(id) });
      continue;
    }
    if (def.definesHouseholds && settings.required === false) {
      ctx.addIssue({ code: 'custom', path: [id, 'required'], message: `${id} defines the households: a month cannot run without it` });
    }
    for (const [column, own] of Object.entries(settings.columns ?? {})) {
      if (!def.columns.some((c) => c.name === column)) {
        ctx.addIssue({
          code: 'custom',
          path: [id, 'columns', column],
          message: `${id} has no column "${column}"; its columns are ${def.columns.map((c) => c.name).join(', ')}`,
        });
        continue;
      }
      // an alias that is another column's name would take that column's place in every file
      for (const alias of own.aliases ?? []) {
        const taken = def.columns.find((c) => c.name !== column && [c.name, ...c.headers].some((h) => headerKey(h) === headerKey(alias)));
        if (taken) ctx.addIssue({ code: 'custom', path: [id, 'columns', column, 'aliases'], message: `"${alias}" already names column ${taken.name}` });
      }
    }
  }
});

export const operationSchema = z.strictObject({
  /** cron expression (node-cron, seconds optional); a tick only asks the database what is due */
  schedule: z.string().refine((e) => cron.validate(e), 'not a valid cron expression'),
  timezone: z.string().refine(validTimeZone, 'not an IANA time zone (e.g. Asia/Shanghai)'),
  /** the first period the scheduler owes a run for; without it, the month before it first starts */
  firstPeriod: z.string().regex(PERIOD, 'must be YYYY-MM').nullable(),
  /** a local inbox in the contract's layout, used when no sources are given */
  inbox: z.string().nullable(),
  /**
   * each department's file by its id (every required department's, an optional one's when it
   * is pulled), the optional manifest and the dibao standards; checked against the registry
   */
  sources: z
    .record(z.string(), locationSchema)
    .superRefine((byId, ctx) => {
      for (const id of Object.keys(byId)) {
        if (!findDepartment(id) && !OTHER_SOURCES.includes(id)) ctx.addIssue({ code: 'custom', path: [id], message: unknownDepartment(id, OTHER_SOURCES) });
      }
    })
    .nullable(),
  /** the night run's cron expression (daily deltas from <inbox>/daily/YYYY-MM-DD/), null for none */
  nightlySchedule: z.string().refine((e) => cron.validate(e), 'not a valid cron expression').nullable(),
  retries: z.int().min(0).max(20),
  retryDelayMs: z.int().min(0),
  timeoutMs: z.int().min(100),
  /** one try at one file must end within this, however steadily bytes trickle in */
  fileDeadlineMs: z.int().min(100),
  /** a fetched file larger than this is refused, and its download stopped there */
  maxFileBytes: z.int().min(1),
  /** `status` is unhealthy when no tick finished (or one has run) for longer than this */
  heartbeatMaxAgeHours: z.number().positive(),
});

export const configSchema = z
  .strictObject({
    weights: weightsSchema,
    warningThreshold: points,
    tiers: z.strictObject({ red: points, orange: points }),
    dibaoDefaults: z.strictObject({ urban: yuan, rural: yuan }),
    ages: z.strictObject({
      adultFrom: z.int().min(14).max(20),
      elderlyFrom: z.int().min(50).max(70),
      oldOldFrom: z.int().min(70).max(100),
    }),
    // ageStructure, economic, health, disability, medicalBurden, labourCapacity (scoring/dimensions.ts)
    ...sectionsShape(DIMENSIONS),
    review: z.strictObject({
      coveredChange: points,
      coveredIncomeMultiple: z.number().min(1).max(10),
    }),
    visits: z.strictObject({
      coolDownMonths: z.int().min(0).max(36),
      relistMargin: points,
      rosterLagMonths: z.int().min(0).max(12),
      precisionLagMonths: z.int().min(1).max(12),
      /** a street office's words for an outcome (符合条件待审批 → assisted_other): added to the defaults */
      outcomeWords: z.record(z.string().trim().min(1), z.enum(visitOutcomes)),
      /** visits a street can make a month, by 9-digit street code (src/export/street-capacity.ts); over capacityFile's */
      capacity: z.record(z.string().regex(/^\d{9}$/, 'must be a 9-digit street code'), z.int().min(0)),
      /** a CSV `street,visits_per_month` with the same; relative to the working directory; null: none */
      capacityFile: z.string().min(1).nullable(),
    }),
    /** how old the departments' extracts behind a household's reasons may be before it is low-confidence (scoring/evidence.ts) */
    evidence: z.strictObject({
      /** an extract this many months or more older than the period is old */
      staleMonths: z.int().min(1).max(36),
    }),
    /** the monthly audit sample of unlisted, uncovered households (src/score/audit-sample.ts) */
    audit: z.strictObject({
      /** households drawn per street and tier a month */
      samplePerStreet: z.strictObject({ near: z.int().min(0).max(100), far: z.int().min(0).max(100) }),
      /** `near`: within this many points below warningThreshold; `far`: the rest */
      nearMargin: points,
      /** with the period and the household, what orders the draw: same seed and data, same sample */
      seed: z.string().min(1),
    }),
    /** how `quality`, the report and `calibrate` judge the list by its visits (src/visits/miss-rate.ts, src/visits/fairness.ts) */
    quality: z.strictObject({
      /** fewer settled visits than this behind a precision or a miss estimate: "too few to say" */
      minSettledVisits: z.int().min(1),
      /** a group with fewer households than this has no listing rate: "too small to say" */
      minGroupHouseholds: z.int().min(1),
      /** `calibrate` refuses weights that widen a group's listing-rate or precision gap by more than this (0.02: 2 points) */
      gapTolerance: share,
    }),
    urgent: z.strictObject({
      severeEventIncomeMultiple: z.number().positive(),
      /** a household under this many times the dibao standard per person is low-income: its main earner's death is urgent */
      lowIncomeMultiple: z.number().positive(),
    }),
    /** deaths and births (public-security): how long one counts as recent */
    populationEvents: z.strictObject({
      recentMonths: z.int().min(1).max(24),
    }),
    routes: z.strictObject({
      singlePersonMaxGrade: z.int().min(1).max(4),
      temporaryMonths: z.int().min(1).max(12),
      temporaryMinimum: yuan,
      temporaryIncomeMultiple: z.number().positive(),
      exitWatchMonths: z.int().min(1).max(24),
    }),
    /** what counts as rigid spending (支出型困难) beside out-of-pocket medical costs and disaster loss (scoring/rigid-spending.ts) */
    rigidSpending: z.strictObject({
      /** tuition and fees counted per student per school year, at most */
      schoolFeesCapPerStudent: yuan,
    }),
    /** when a month's extracts are refused whole for their rejected rows (docs/decisions.md) */
    ingest: z.strictObject({
      maxRejectRate: share,
      /** a department's own limit, in place of maxRejectRate */
      maxRejectRateBySource: z.record(z.string(), share).superRefine((byId, ctx) => {
        for (const id of Object.keys(byId)) if (!findDepartment(id)) ctx.addIssue({ code: 'custom', path: [id], message: unknownDepartment(id) });
      }),
      usualRateMultiple: z.number().min(1),
      usualPeriods: z.int().min(1).max(36),
      minRejectedRows: z.int().min(1),
    }),
    /** who sees what: the operator's region scope for exports and household cards (docs/privacy.md) */
    access: z.strictObject({
      region: z.string().regex(/^\d{6}(\d{3}){0,2}$/, 'must be a 6-digit county, 9-digit street or 12-digit community code').nullable(),
      /** a group (name or number) whose members may read the files written (0640); null: the owner only (0600) */
      exportGroup: z.union([z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i, 'must be a group name or number'), z.int().min(0)]).nullable(),
    }),
    /** how long raw extracts are kept (`safetynet purge`); at least the 12-month claims window */
    privacy: z.strictObject({
      retentionMonths: z.int().min(12, 'must be at least 12: the claims window of a run reaches 12 months back').max(120),
      /** `schedule` purges what retention allows after each tick that ran a month */
      purgeOnSchedule: z.boolean(),
    }),
    /** street and community names by code, over those of <inbox>/regions.csv (src/pull/region-names.ts) */
    regions: z.record(
      z.string().regex(/^\d{6}(\d{3}){0,2}$/, 'must be a 6-digit county, 9-digit street or 12-digit community code'),
      z.string().trim().min(1, 'a name may not be empty').max(60, 'a street or community name, not an address: at most 60 characters'),
    ),
    /** the language of the files `run` and `schedule` write, and of every command's output without --lang */
    lang: z.enum(['en', 'zh']),
    /** a bureau's settings per department id: required or not, its own header names and codes */
    departments: departmentsSchema,
    operation: operationSchema,
  })
  .superRefine((cfg, ctx) => {
    const sum = Object.values(cfg.weights).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-6) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: `weights must add up to 1, they add up to ${sum.toFixed(4)}` });
    }
    if (!(cfg.tiers.red > cfg.tiers.orange && cfg.tiers.orange >= cfg.warningThreshold)) {
      ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'tiers must satisfy red > orange >= warningThreshold' });
    }
    if (!(cfg.ages.adultFrom < cfg.ages.elderlyFrom && cfg.ages.elderlyFrom < cfg.ages.oldOldFrom)) {
      ctx.addIssue({ code: 'custom', path: ['ages'], message: 'ages must satisfy adultFrom < elderlyFrom < oldOldFrom' });
    }
    // a pulled month waits for every required department: each needs a location
    if (cfg.operation.sources) {
      const unlocated = departments().filter((d) => isRequired(d, cfg.departments[d.id]) && !cfg.operation.sources![d.id]);
      if (unlocated.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['operation', 'sources'],
          message: `missing the location of required department(s) ${unlocated.map((d) => d.id).join(', ')}`,
        });
      }
    }
  });

export type SafetynetConfig = z.infer<typeof configSchema>;
export type OperationConfig = SafetynetConfig['operation'];
export type SourceLocation = z.infer<typeof locationSchema>;
export type { DimensionId };
export const dimensionIds: DimensionId[] = DIMENSIONS.map((d) => d.id);

/**
 * The config of another model than the registry's (a test's seventh dimension): the same
 * schema and rules, with that model's weights and sections.
 */
export function configSchemaFor(dimensions: Dimensions): z.ZodType<SafetynetConfig> {
  const shape: z.ZodRawShape = { weights: z.strictObject(weightsShape(dimensions)), ...sectionsShape(dimensions) };
  // a shape known only at run time: what it parses is a SafetynetConfig plus that model's weights and sections
  const extended: z.ZodType = configSchema.safeExtend(shape);
  return extended as z.ZodType<SafetynetConfig>;
}
