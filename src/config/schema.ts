import cron from 'node-cron';
import { z } from 'zod';
import { sourceIds } from '../ingest/source.js';
import { visitOutcomes } from '../visits/outcomes.js';

const share = z.number().min(0).max(1);
const points = z.number().min(0).max(100);
const yuan = z.number().positive();

export const weightsSchema = z.strictObject({
  age_structure: share,
  economic: share,
  health: share,
  disability: share,
  medical_burden: share,
  labour_capacity: share,
});

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

export const operationSchema = z.strictObject({
  /** cron expression (node-cron, seconds optional); a tick only asks the database what is due */
  schedule: z.string().refine((e) => cron.validate(e), 'not a valid cron expression'),
  timezone: z.string().refine(validTimeZone, 'not an IANA time zone (e.g. Asia/Shanghai)'),
  /** the first period the scheduler owes a run for; without it, the month before it first starts */
  firstPeriod: z.string().regex(PERIOD, 'must be YYYY-MM').nullable(),
  /** a local inbox in the contract's layout, used when no sources are given */
  inbox: z.string().nullable(),
  /** each department's file, the optional manifest and the dibao standards */
  sources: z
    .strictObject({
      'civil-affairs': locationSchema,
      disability: locationSchema,
      'medical-insurance': locationSchema,
      health: locationSchema,
      manifest: locationSchema.optional(),
      'dibao-standards': locationSchema.optional(),
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
    ageStructure: z.strictObject({
      perOldOld: points,
      perElderly: points,
      perMinor: points,
      elderlyLivingAlone: points,
      heavyDependencyRatio: z.number().positive(),
      heavyDependency: points,
      noWorkingAgeMember: points,
    }),
    economic: z.strictObject({
      belowStandard: points,
      belowStandardDepth: points,
      edgeBandMultiple: z.number().min(1).max(5),
      edgeBand: points,
      incomeUnknown: points,
      incomeFallShare: share,
      incomeFall: points,
      perUnemployedAdult: points,
    }),
    health: z.strictObject({
      perSevereIllness: points,
      perSevereMentalDisorder: points,
      perChronicIllness: points,
      perInpatientStay: points,
      inpatientCap: points,
    }),
    disability: z.strictObject({
      grade1: points,
      grade2: points,
      grade3: points,
      grade4: points,
      perAdditionalDisabledMember: points,
      intellectualOrMental: points,
    }),
    medicalBurden: z.strictObject({
      floorRatio: z.number().min(0),
      catastrophicRatio: z.number().positive(),
      catastrophicPoints: points,
      hardshipRatio: z.number().positive(),
    }),
    labourCapacity: z.strictObject({
      noAbleEarnerWithDependants: points,
      noAbleEarner: points,
      dependantsPerEarner: z.array(z.strictObject({ atLeast: z.number().positive(), points })).min(1),
    }),
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
    }),
    urgent: z.strictObject({
      severeEventIncomeMultiple: z.number().positive(),
    }),
    routes: z.strictObject({
      singlePersonMaxGrade: z.int().min(1).max(4),
      temporaryMonths: z.int().min(1).max(12),
      temporaryMinimum: yuan,
      temporaryIncomeMultiple: z.number().positive(),
      exitWatchMonths: z.int().min(1).max(24),
    }),
    /** when a month's extracts are refused whole for their rejected rows (docs/decisions.md) */
    ingest: z.strictObject({
      maxRejectRate: share,
      /** a department's own limit, in place of maxRejectRate */
      maxRejectRateBySource: z.partialRecord(z.enum(sourceIds), share),
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
    if (!(cfg.medicalBurden.floorRatio < cfg.medicalBurden.catastrophicRatio && cfg.medicalBurden.catastrophicRatio < cfg.medicalBurden.hardshipRatio)) {
      ctx.addIssue({ code: 'custom', path: ['medicalBurden'], message: 'ratios must satisfy floorRatio < catastrophicRatio < hardshipRatio' });
    }
    if (!(cfg.ages.adultFrom < cfg.ages.elderlyFrom && cfg.ages.elderlyFrom < cfg.ages.oldOldFrom)) {
      ctx.addIssue({ code: 'custom', path: ['ages'], message: 'ages must satisfy adultFrom < elderlyFrom < oldOldFrom' });
    }
  });

export type SafetynetConfig = z.infer<typeof configSchema>;
export type OperationConfig = SafetynetConfig['operation'];
export type SourceLocation = z.infer<typeof locationSchema>;
export type DimensionId = keyof SafetynetConfig['weights'];
export const dimensionIds = Object.keys(weightsSchema.shape) as DimensionId[];
