import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { CandidateView } from '../identity/id-rescue.js';
import type { DimensionId } from '../../scoring/dimensions.js';
import type { ScoreReason } from '../../scoring/combine.js';
import type { RouteId } from '../../scoring/route.js';

/**
 * Table types for kysely. The period is the partition: every derived row carries it, and a
 * rerun replaces the period's rows in one transaction.
 */

type Numeric = ColumnType<string, number | string, number | string>;
/** numeric(5, 1) read through the driver's numeric parser (src/db/connect.ts): a number */
type Score = ColumnType<number, number, number>;
type DateCol = ColumnType<string, string, string>;

export interface RunTable {
  run_id: Generated<number>;
  period: string;
  status: 'running' | 'succeeded' | 'failed' | 'refused' | 'waiting';
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  inbox: string;
  config_version: string;
  input_hashes: ColumnType<Record<string, string>, string, string> | null;
  summary: ColumnType<unknown, string, string> | null;
  output_sha256: string | null;
  error: string | null;
}

/**
 * A roster person's row as versions valid from one period to another (migration 0025,
 * src/db/versions.ts): read a period's roster through `rosterAsOf`.
 */
export interface RosterVersionTable {
  id18: string;
  valid_from: string;
  valid_until: string | null;
  household_id: string;
  /** the row's place among its household's rows in the file */
  position: number;
  name: string;
  relation: string;
  region_code: string;
  hukou_type: string;
  assistance: string;
  /** the household's monthly income, on its first row (the head's) only */
  monthly_income: Numeric | null;
  employment: string | null;
  address: string | null;
  phone: string | null;
  birth_date: DateCol;
  sex: string;
}

export interface RosterPeriodTable {
  period: string;
}

/**
 * 残联 certificates: a view of each loaded period's rows (migration 0037) over `disability_version`,
 * a row's versions keyed by the person and its place among the person's rows (`ordinal`).
 */
export interface DisabilityTable {
  period: string;
  id18: string;
  ordinal: number;
  name: string | null;
  disability_type: string;
  disability_grade: number;
  certified_on: DateCol | null;
  birth_date: DateCol;
  sex: string;
}

export interface ClaimTable {
  claim_id: string;
  received_period: string;
  line: number;
  id18: string;
  name: string | null;
  settled_on: DateCol;
  inpatient: boolean;
  total_cost: Numeric;
  fund_paid: Numeric;
  assistance_paid: Numeric | null;
  out_of_pocket: Numeric;
  birth_date: DateCol;
  sex: string;
  /** the received period of the claim's next version; null while this one is the latest (migration 0030) */
  superseded_by: string | null;
}

/**
 * 卫健 diagnoses: a view of each loaded period's rows (migration 0032) over `diagnosis_version`,
 * a row's versions keyed by the person and its place among the person's rows (`ordinal`).
 */
export interface DiagnosisTable {
  period: string;
  id18: string;
  ordinal: number;
  name: string | null;
  diagnosis_code: string;
  category: string;
  recorded_on: DateCol | null;
  birth_date: DateCol;
  sex: string;
}

/**
 * 人社: one row per person and period (a person sent twice is folded into one at load); a view of
 * each loaded period's rows (migration 0032) over `human_resources_version`.
 */
export interface HumanResourcesTable {
  period: string;
  id18: string;
  name: string | null;
  registered_unemployed: boolean;
  registered_on: DateCol | null;
  pension_monthly: number | null;
  birth_date: DateCol;
  sex: string;
}

/** 住建 dangerous-housing appraisals per owner (migration 0011). */
export interface DangerousHouseTable {
  period: string;
  line: number;
  id18: string;
  name: string | null;
  grade: 'C' | 'D';
  appraised_on: DateCol;
  birth_date: DateCol;
  sex: string;
}

/** 应急 disaster-affected people by the period received (migration 0012). */
export interface DisasterEventTable {
  received_period: string;
  line: number;
  id18: string;
  name: string | null;
  event: string;
  event_date: DateCol;
  loss: number;
  house_damaged: boolean;
  birth_date: DateCol;
  sex: string;
}

/** 教育 students in non-compulsory education and this school year's fees (migration 0013); a view of each loaded period's rows over `enrolment_version` (migration 0033). */
export interface EnrolmentTable {
  period: string;
  id18: string;
  name: string | null;
  stage: 'high_school' | 'secondary_vocational' | 'higher';
  /** the year the school year starts in */
  school_year: number;
  fees_paid: number;
  birth_date: DateCol;
  sex: string;
}

/**
 * The information verification centre's findings per person (核对, migration 0014): asset data,
 * no export reads it; a view of each loaded period's rows over `verification_version` (migration 0033).
 */
export interface VerificationTable {
  period: string;
  id18: string;
  name: string | null;
  properties: number;
  properties_beyond_home: number;
  vehicles: number;
  vehicle_value: 'under_50k' | '50k_to_150k' | 'over_150k' | null;
  businesses: number;
  business_role: 'owner' | 'legal_representative' | 'both' | null;
  housing_fund_monthly: number | null;
  birth_date: DateCol;
  sex: string;
}

/** The asset-check note of a household whose members' verification flagged assets (migration 0014); masked in the export view. */
export interface HouseholdAssetCheckTable {
  period: string;
  household_id: string;
  /** null through the export view unless the transaction is unmasked */
  note: string | null;
  note_zh: string | null;
}

/** 公安 population events by the period received (migration 0010). */
export interface PublicSecurityTable {
  received_period: string;
  line: number;
  id18: string;
  name: string | null;
  event: 'death' | 'birth' | 'move_out' | 'move_in';
  event_date: DateCol;
  parent_id18: string | null;
  cancelled: boolean;
  birth_date: DateCol;
  sex: string;
}

export interface RejectedRowTable {
  period: string;
  source: string;
  line: number;
  column_name: string | null;
  reason: string;
  raw: ColumnType<unknown, string, string>;
}

export interface QualityIssueTable {
  period: string;
  source: string;
  line: number | null;
  kind: string;
  detail: string;
}

export interface SourceLoadTable {
  period: string;
  source: string;
  file: string;
  sha256: string;
  encoding: string;
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  /** rejected rows whose mistyped ID number the rescue linked to a roster person (a subset of rows_rejected) */
  rows_rescued: Generated<number>;
}

export interface DibaoStandardTable {
  region_prefix: string;
  hukou_type: string;
  effective_from: string;
  monthly_standard: Numeric;
}

/** A street's or community's name (migration 0009): reference data, replaced at each monthly run. */
export interface RegionNameTable {
  region_code: string;
  name: string;
  source: 'regions.csv' | 'config';
}

export interface HouseholdTable {
  period: string;
  household_id: string;
  on_roster: boolean;
  region_code: string;
  hukou_type: string;
  assistance: string;
  monthly_income: Numeric | null;
  head_id18: string;
  head_name: string;
  members: number;
  address: string | null;
  phone: string | null;
}

/** A period's members (a view since migration 0027: the roster's versions in force, and member_row). */
export interface MemberTable {
  period: string;
  household_id: string;
  id18: string;
  name: string;
  relation: string;
  birth_date: DateCol;
  sex: string;
  employment: string | null;
}

export interface HouseholdScoreTable {
  period: string;
  household_id: string;
  rank: number;
  total: Score;
  tier: string;
  on_list: boolean;
  covered: boolean;
  change: string;
  previous_total: Score | null;
  review: boolean;
  /** each dimension's 0-100 score by id (migration 0007); a period scored before a dimension existed lacks it */
  dimensions: ColumnType<Partial<Record<DimensionId, number>>, string, string>;
  reasons: ColumnType<StoredReason[], string, string>;
  route: RouteId | null;
  route_rule: string | null;
  route_rule_zh: string | null;
  /** 'low' when the verification (核对) flagged assets or a verified income far above the roster's (migration 0014); null: no route */
  route_confidence: 'high' | 'low' | null;
  review_reasons: ColumnType<{ text: string; text_zh: string }[], string | undefined, string>;
  rescued_links: Generated<number>;
  covered_by_visit: 'dibao' | 'tekun' | null;
  visit_notes: ColumnType<{ text: string; text_zh: string }[], string | undefined, string>;
  cooled_down: Generated<boolean>;
  review_by_score: Generated<boolean>;
  /** the departments whose data point at the household this month, ids in registry order (migration 0015) */
  signal_departments: Generated<string[]>;
  /** every dated fact behind the reasons is from an extract evidence.staleMonths or more old (migration 0019) */
  low_confidence: Generated<boolean>;
}

/**
 * A household's scores of a period as stored (migration 0026): the explanation is a row of
 * `score_explanation`, shared by every household and month explained alike. `household_score`
 * is the view of the two joined, what every reader reads.
 */
export type ScoredHouseholdTable = Omit<HouseholdScoreTable, 'dimensions' | 'reasons' | 'route_rule' | 'route_rule_zh' | 'signal_departments'> & {
  /** the key of its row in score_explanation (explanationId in src/score/score-households.ts) */
  explanation: string;
  /** the departments pointing at the household, a row of signal_set (migration 0036); null: none */
  signal_set: number | null;
};

/** A set of departments whose data point at a household, kept once (migration 0036): ids in registry order. */
export interface SignalSetTable {
  id: Generated<number>;
  departments: string[];
}

/**
 * One explanation of a score, kept once whoever and whenever it explains (migration 0026); its
 * reasons named in order, each kept once in `score_reason` (migration 0031); its route's rule (a
 * jsonb array of the rule in English and Chinese) a template of `score_template` without figures
 * (migration 0034); its dimensions' scores a template and figures (migration 0038).
 */
export interface ScoreExplanationTable {
  id: string;
  /** the dimension scores' jsonb text with each number out: a row of score_template (migration 0038) */
  dimensions_template: string;
  route_template: string | null;
  reason_ids: string[];
  /** the scores as written, joined by spaces; null: none */
  dimension_figures: string | null;
}

/**
 * One reason of a score's explanation, kept once under the MD5 of its jsonb text (migration
 * 0031): that text as a template and its figures (migration 0034).
 */
export interface ScoreReasonTable {
  id: string;
  template: string;
  figures: string | null;
}

/**
 * A text of the scores' explanations with its numbers taken out (each `%s`, each `%` doubled),
 * kept once under the MD5 of the template; `format(template, VARIADIC figures)`
 * (`safetynet_text_filled`) gives the text back (migration 0034).
 */
export interface ScoreTemplateTable {
  id: string;
  template: string;
}

/** A reason as household_score gives it: rows scored before reasons had Chinese words lack `text_zh`. */
export type StoredReason = Omit<ScoreReason, 'text_zh'> & { text_zh?: string };

export interface VisitImportTable {
  import_id: Generated<number>;
  file: string;
  sha256: string;
  imported_at: ColumnType<Date, Date | string | undefined, never>;
  operator: string;
  rows_read: number;
  rows_loaded: number;
  rows_rejected: number;
  rows_duplicate: number;
}

export interface VisitTable {
  visit_id: Generated<number>;
  import_id: number;
  line: number;
  household_id: string;
  visited_on: DateCol;
  outcome: string;
  assistance_granted: Numeric | null;
  note: string | null;
}

export interface VisitRejectedTable {
  import_id: number;
  line: number;
  column_name: string | null;
  reason: string;
  raw: ColumnType<unknown, string, string>;
}

export interface DailyRunTable {
  day: DateCol;
  status: 'succeeded' | 'failed';
  finished_at: ColumnType<Date, Date | string | undefined, Date | string>;
  base_period: string | null;
  summary: ColumnType<unknown, string | null, string | null>;
  error: string | null;
}

export interface UrgentWarningTable {
  urgent_id: Generated<number>;
  day: DateCol;
  household_id: string;
  /** the event that raised it: `<department>:<the department's key>` (migration 0016) */
  event_key: string;
  kind: 'crossed_threshold' | 'severe_event' | 'main_earner_died' | 'disaster_loss';
  base_period: string;
  previous_total: Numeric | null;
  total: Numeric;
  reason: string;
  reason_zh: string;
  raised_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface IdentityRescueTable {
  period: string;
  source: string;
  line: number;
  outcome: 'rescued' | 'review' | 'rejected';
  sent_number: string;
  sent_name: string | null;
  id18: string | null;
  confidence: Numeric | null;
  difference: string | null;
  reason: string;
  reason_zh: string;
  candidates: ColumnType<RescueCandidateRow[], string | undefined, string>;
}

/** A roster person the rescue considered for a row, as stored (src/identity/id-rescue.ts decides them). */
export type RescueCandidateRow = CandidateView;

export interface IdentityDecisionTable {
  sent_number: string;
  sent_name: string;
  decision: 'confirmed' | 'refused';
  id18: string | null;
  decided_by: string;
  decided_at: ColumnType<Date, Date | string | undefined, Date | string>;
  note: string | null;
}

export interface ExportAuditTable {
  audit_id: Generated<number>;
  at: ColumnType<Date, Date | string | undefined, never>;
  operator: string;
  purpose: string | null;
  period: string;
  format: string;
  filters: ColumnType<unknown, string, never>;
  masked: boolean;
  rows: number;
  sha256: string;
  file: string;
  /** the database login, set by safetynet_audit_begin (null on entries older than migration 0006) */
  login: ColumnType<string | null, never, never>;
  backend_pid: ColumnType<number | null, never, never>;
  /** xid8: the driver returns it as text */
  xact_id: ColumnType<string | null, never, never>;
}

/** Which region a login may export (migration 0006); written by the owner only. */
export interface ExportScopeTable {
  login: string;
  region_prefix: string;
  granted_by: ColumnType<string, string | undefined, string>;
  granted_at: ColumnType<Date, Date | string | undefined, Date | string>;
  note: string | null;
}

/** Per street and tier, the unlisted uncovered households the month's audit sample was drawn from (migration 0017). */
export interface AuditFrameTable {
  period: string;
  /** the 9-digit street prefix of the region code */
  street: string;
  /** 'near': within audit.nearMargin points below the warning threshold; 'far': the rest */
  tier: AuditTier;
  frame_households: number;
  sample_size: number;
  seed: string;
}

export type AuditTier = 'near' | 'far';

/** A household drawn for an audit visit (migration 0017), in its stratum's draw order. */
export interface AuditSampleTable {
  period: string;
  household_id: string;
  street: string;
  tier: AuditTier;
  draw_order: number;
}

export interface Database {
  export_audit: ExportAuditTable;
  export_scope: ExportScopeTable;
  run: RunTable;
  roster_version: RosterVersionTable;
  roster_period: RosterPeriodTable;
  disability: DisabilityTable;
  claim: ClaimTable;
  diagnosis: DiagnosisTable;
  human_resources: HumanResourcesTable;
  dangerous_house: DangerousHouseTable;
  disaster_event: DisasterEventTable;
  enrolment: EnrolmentTable;
  public_security: PublicSecurityTable;
  verification: VerificationTable;
  household_asset_check: HouseholdAssetCheckTable;
  rejected_row: RejectedRowTable;
  quality_issue: QualityIssueTable;
  source_load: SourceLoadTable;
  dibao_standard: DibaoStandardTable;
  region_name: RegionNameTable;
  household: HouseholdTable;
  member: MemberTable;
  /** the households of periods whose versions were purged (migration 0028), without address and phone */
  household_row: HouseholdTable;
  /** the members no roster version gives: people outside the roster, members of a period whose roster was purged */
  member_row: MemberTable;
  /** a view: scored_household with its score_explanation and the reasons of score_reason */
  household_score: HouseholdScoreTable;
  scored_household: ScoredHouseholdTable;
  score_explanation: ScoreExplanationTable;
  score_reason: ScoreReasonTable;
  score_template: ScoreTemplateTable;
  signal_set: SignalSetTable;
  identity_rescue: IdentityRescueTable;
  identity_decision: IdentityDecisionTable;
  visit_import: VisitImportTable;
  visit: VisitTable;
  visit_rejected: VisitRejectedTable;
  daily_run: DailyRunTable;
  urgent_warning: UrgentWarningTable;
  audit_frame: AuditFrameTable;
  audit_sample: AuditSampleTable;
}

export type Run = Selectable<RunTable>;
export type NewRun = Insertable<RunTable>;
export type HouseholdScoreRow = Selectable<HouseholdScoreTable>;
