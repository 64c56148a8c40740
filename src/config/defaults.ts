import type { SafetynetConfig } from './schema.js';
import { defaultSections, defaultWeights, DIMENSIONS } from '../../scoring/dimensions.js';

/**
 * The documented default config. Every number has a one-line why; a district overrides any
 * part of it with a JSON file (`--config FILE` or SAFETYNET_CONFIG), validated at start-up.
 */
export const defaultConfig: SafetynetConfig = {
  // Each dimension's default weight and why: its declaration (scoring/dimensions.ts).
  weights: defaultWeights(DIMENSIONS),
  // Calibrated on the fixture district: needy households score 30+, ordinary ones under 20.
  warningThreshold: 30,
  tiers: {
    // Visit this month.
    red: 60,
    // Visit within the quarter.
    orange: 45,
    // yellow: anything from the warning threshold up: confirm by phone or at the next round.
  },
  dibaoDefaults: { urban: 1000, rural: 850 },
  ages: {
    // Legal working age starts at 16, but 16-17s are mostly in school: count them as dependants.
    adultFrom: 18,
    // The age the civil-affairs elderly programmes start at.
    elderlyFrom: 60,
    // 80+ ("高龄") is when care needs rise steeply; many cities pay an old-age allowance from here.
    oldOldFrom: 80,
  },
  // ageStructure, economic, health, disability, medicalBurden, labourCapacity: each dimension's
  // constants and why they are what they are, in its declaration (scoring/dimensions.ts)
  ...defaultSections(DIMENSIONS),
  review: {
    // A covered household whose score moves this much either way is flagged for a review of its assistance.
    coveredChange: 10,
    // A dibao/tekun household whose per-capita income reaches twice the standard very likely no
    // longer qualifies: the periodic review (动态管理) should look now, not at the next round.
    coveredIncomeMultiple: 2,
  },
  visits: {
    // A family found not eligible is not knocked on again for half a year: a visit is costly and
    // intrusive, and half a year is the usual dibao review cycle...
    coolDownMonths: 6,
    // ...unless its score rises this much since the visit (or a new severe fact appears).
    relistMargin: 10,
    // A family granted dibao/tekun at the door reaches the roster within a few months: covered
    // from the visit until then, after which the roster decides.
    rosterLagMonths: 3,
    // The report measures the list of this many months ago: visits take weeks to happen and report back.
    precisionLagMonths: 2,
    // The words street offices write in the outcome column, read as the outcome ids (which are
    // always read too). Spaces and punctuation do not count: 符合条件，待审批 is 符合条件待审批.
    // Eligible and waiting for approval is a need found: the list was right, so it counts as
    // assisted for the list's precision, but not as covered (the roster says when it is granted).
    outcomeWords: {
      纳入低保: 'assisted_dibao', 已纳入低保: 'assisted_dibao', 低保: 'assisted_dibao',
      纳入特困: 'assisted_tekun', 已纳入特困: 'assisted_tekun', 纳入特困供养: 'assisted_tekun', 特困: 'assisted_tekun',
      临时救助: 'assisted_temporary', 给予临时救助: 'assisted_temporary', 已给予临时救助: 'assisted_temporary',
      医疗救助: 'assisted_medical', 给予医疗救助: 'assisted_medical', 已给予医疗救助: 'assisted_medical',
      符合条件待审批: 'assisted_other', 待审批: 'assisted_other', 已申请待审批: 'assisted_other',
      其他帮扶: 'assisted_other', 其他救助: 'assisted_other', 转介帮扶: 'assisted_other',
      不符合条件: 'not_eligible', 不符合: 'not_eligible', 不符合救助条件: 'not_eligible', 经核查不符合条件: 'not_eligible',
      拒绝: 'refused', 拒绝走访: 'refused', 拒绝入户: 'refused', 本人拒绝: 'refused',
      未找到: 'not_found', 查无此户: 'not_found', 未找到本人: 'not_found', 人户分离: 'not_found',
      已搬迁: 'moved', 搬迁: 'moved', 已迁出: 'moved',
    },
    // No cut unless a street's monthly visits are given here or in capacityFile ("420106001": 40):
    // a made-up number would hide households from a street that can visit them.
    capacity: {},
    capacityFile: null,
  },
  evidence: {
    // A department that sends each quarter is at most 2 months behind; 3 means it has missed a
    // delivery, and what it last said of the household may no longer hold: confirm at the door.
    staleMonths: 3,
  },
  audit: {
    // 5 audit visits a street a month is about one worker-day, an eighth of a 40-visit month; 3 of
    // them just under the threshold, where the list's errors are, 2 anywhere below it. Pooled over
    // a district's streets and a few months, that bounds the miss rate to a few points.
    samplePerStreet: { near: 3, far: 2 },
    // Households within 10 points under the threshold: the borderline band that a small change of
    // facts or weights moves on or off the list.
    nearMargin: 10,
    // A district may set its own; changing it changes every later month's draw, never a past one's (recorded with it).
    seed: 'safetynet-audit',
  },
  quality: {
    // Under 10 settled visits a share's 95% interval spans more than 50 points near one half:
    // a number that says nothing is shown as "too few to say" rather than as a rate.
    minSettledVisits: 10,
    // A listing rate of fewer than 30 households moves 3 points with one household more or less.
    minGroupHouseholds: 30,
    // New weights may widen the listing-rate gap between a grouping's groups (rural and urban,
    // say) by at most 2 points: more and the change is a policy choice, not a calibration.
    gapTolerance: 0.02,
  },
  urgent: {
    // One inpatient bill out of pocket worth 3 months of the household's income is a crisis on its
    // own; so is a disaster's loss of as much (or any loss that damaged the house).
    severeEventIncomeMultiple: 3,
    // The main earner's death is urgent where the household lived on little with them: under
    // twice the dibao standard per person (the low-income line, 低收入, of most provinces), or
    // already assisted. Above it the month's list still weighs the death.
    lowIncomeMultiple: 2,
  },
  populationEvents: {
    // The death of the household's main earner raises it for 6 months, this one included: the
    // survivor's pension, a new job or dibao take about that long to settle, and by then the
    // roster's income has been verified again. The overlap signal uses the same months.
    recentMonths: 6,
  },
  routes: {
    // Grade 1-2 disability is "severe" in the disability federation's scale and in every
    // province's single-person coverage (单人户施保) rules.
    singlePersonMaxGrade: 2,
    // Temporary assistance answers a sudden event: bills settled in the last 3 months.
    temporaryMonths: 3,
    // ...of at least this much out of pocket (roughly a month of a low wage)...
    temporaryMinimum: 5000,
    // ...and at least twice the household's monthly income: a shock, not a routine cost.
    temporaryIncomeMultiple: 2,
    // Gradual exit (渐退) from dibao typically lasts 3-6 months: watch the 6 months after leaving.
    exitWatchMonths: 6,
  },
  rigidSpending: {
    // Public tuition and accommodation rarely pass 10,000 yuan a school year (a university's
    // 5,000-8,000 and a dormitory's 1,200; high school and vocational school far less), and
    // county rules name school costs "above 10,000 yuan a year" as the warning: what a household
    // pays above it per student (a private college) is a choice, not a rigid cost.
    schoolFeesCapPerStudent: 10000,
  },
  ingest: {
    // A month whose rejected rows are more than a fifth of a department's file is a format change
    // (9-digit region codes, swapped columns), not a few typos: published, it would drop the
    // households those rows hold, so the period is refused and keeps its previous list.
    maxRejectRate: 0.2,
    maxRejectRateBySource: {},
    // A department that usually rejects much gets twice its usual rate (the median of its last
    // usualPeriods loaded months) before its month is refused: its norm is not news, a doubling is.
    usualRateMultiple: 2,
    usualPeriods: 6,
    // Fewer rejected rows than this are read in minutes in the data-quality report: a tiny file
    // with two bad rows is not a format change. A file that loads no row at all is refused anyway.
    minRejectedRows: 20,
  },
  access: {
    // No scope: where the database roles are set up, an export shows nothing until the operator's
    // street (or county) is configured here, in SAFETYNET_REGION or with --region.
    region: null,
    // Lists and reports hold people's names and ID numbers: readable by their owner only, unless
    // a group is named here (e.g. the bureau's "safetynet-readers"), then 0640 for that group.
    exportGroup: null,
  },
  privacy: {
    // Minimum necessary (PIPL art. 19): the latest run's 12-month claims window plus a year in
    // which any period can still be rerun with its whole window, for corrections and appeals.
    retentionMonths: 24,
    // On: retention that waits for someone to type `purge` is not kept. Off only where another
    // process (an archive's legal hold) decides when raw extracts go.
    purgeOnSchedule: true,
  },
  // No names: codes alone until <inbox>/regions.csv or these give them ("420106001": "中南路街道").
  regions: {},
  // English, the contract's language; 'zh' writes the run's files and every command's output in
  // Chinese without --lang.
  lang: 'en',
  // The contract's column names and codes, the four departments required: a bureau adds its own
  // header names and codes per department here (docs/departments.md).
  departments: {},
  operation: {
    // Every day at 07:00: departments deliver in the first days of the month, on no fixed day;
    // a tick only asks what is due, so daily ticks cost nothing once the month is done.
    schedule: '0 7 * * *',
    // The bureau's clock, not the container's (which runs in UTC).
    timezone: 'Asia/Shanghai',
    firstPeriod: null,
    inbox: null,
    // 02:00: the medical-insurance settlement batch of the day before has closed by then.
    nightlySchedule: '0 2 * * *',
    sources: null,
    // A department's server that is down for a minute should not cost a day: 5 tries over ~30 s.
    retries: 4,
    retryDelayMs: 2000,
    // No byte for this long on a download is a dead connection.
    timeoutMs: 60000,
    // A server that sends a byte now and then never trips the timeout above. A city of 1,000,000
    // households is ~0.65 GiB of CSV a period (docs/scaling.md), its biggest file under half of
    // that: 30 minutes lets it come over a 2 Mbit/s link. A try that misses the deadline is
    // retried like a timeout, so a trickling server costs at most 5 tries x 30 min per file.
    fileDeadlineMs: 30 * 60 * 1000,
    // Six times a million-household city's whole period in one file, so no real extract meets
    // it, and an endless body stops at 4 GiB instead of filling the disk.
    maxFileBytes: 4 * 1024 ** 3,
    // The default schedule ticks daily: a day and two hours lets one tick run long (a catch-up of
    // several months) before a healthy scheduler looks dead. A monthly schedule needs ~750.
    heartbeatMaxAgeHours: 26,
  },
};
