import { groupingLabel, groupKeyLabel } from './fairness.js';
import { noEstimateWords, type Estimate } from './miss-rate.js';

/**
 * The words of the miss-rate and fairness tables, shared by `safetynet quality` and the monthly
 * report so that both say the same thing the same way.
 */
export const QUALITY_WORDS = {
  en: {
    missTitle: (p: string) => `Precision and estimated miss rate of the list of ${p}, per street and audit tier`,
    missHead: ['street', 'tier', 'listed', 'settled', 'precision (95% CI)', 'frame', 'audited', 'settled', 'in need', 'est. missed (95% CI)', 'exclusion error (95% CI)'],
    tiers: { near: 'near', far: 'far', all: 'both' } as Record<string, string>,
    total: 'all streets',
    fairTitle: (p: string) => `Fairness by group, ${p}`,
    fairHead: ['grouping', 'group', 'households', 'listed', 'listing rate', 'settled', 'precision (95% CI)', 'audit settled', 'est. missed (95% CI)', 'exclusion error (95% CI)'],
    tooFew: 'too few',
    notes: 'Where there is no figure:',
    method: [
      'precision = assisted / (assisted + not eligible) among the listed uncovered households visited since the month began (Wilson 95% interval).',
      'est. missed = per street and tier, the share of settled audit visits that found need x the households the sample was drawn from (frame); summed over strata.',
      'Refused, not found and moved settle nothing and are left out: the estimate assumes the unsettled are in need as often as the settled of their stratum.',
      'exclusion error = missed / (missed + listed x precision): of the households in need, the share the list leaves out.',
    ],
  },
  zh: {
    missTitle: (p: string) => `${p}预警名单的准确率与估计漏报（按街道与抽查层）`,
    missHead: ['街道', '抽查层', '名单户数', '已核实', '准确率（95%区间）', '抽查范围户数', '抽查户数', '已核实', '符合条件', '估计漏报户数（95%区间）', '漏报比例（95%区间）'],
    tiers: { near: '临界', far: '远离', all: '合计' } as Record<string, string>,
    total: '全部街道',
    fairTitle: (p: string) => `${p}分组公平性`,
    fairHead: ['分组', '组别', '户数', '名单户数', '入单率', '已核实', '准确率（95%区间）', '抽查已核实', '估计漏报户数（95%区间）', '漏报比例（95%区间）'],
    tooFew: '样本不足',
    notes: '无数值之处的原因：',
    method: [
      '准确率 = 获得救助 /（获得救助 + 不符合条件），按本月起走访的名单内未获救助家庭计（Wilson 95%区间）。',
      '估计漏报户数 = 各街道各抽查层中，已核实抽查户符合条件的比例 × 抽样范围户数，再逐层相加。',
      '拒绝入户、未找到、已搬迁不计入：假定同一层内未核实的家庭与已核实的家庭符合条件的比例相同。',
      '漏报比例 = 漏报 /（漏报 + 名单户数 × 准确率）：符合条件的家庭中名单未列入的比例。',
    ],
  },
};

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** A share with its interval: "60.0% (38.7–78.1%)"; a count: "35 (18–61)"; or the short "too few". */
export function estimateText(e: Estimate, kind: 'share' | 'count', lang: 'en' | 'zh'): string {
  if (e.value === null) return QUALITY_WORDS[lang].tooFew;
  if (kind === 'share') return `${pct(e.value)} (${(e.low * 100).toFixed(1)}–${pct(e.high)})`;
  return `${Math.round(e.value)} (${Math.round(e.low)}–${Math.round(e.high)})`;
}

/** The notes under a table: each figure without a number, and why, once per row and reason. */
export function estimateNotes(rows: { label: string; estimates: Estimate[] }[], lang: 'en' | 'zh'): string[] {
  const notes: string[] = [];
  for (const r of rows) {
    const reasons = [...new Set(r.estimates.flatMap((e) => (e.tooFew ? [noEstimateWords(e.tooFew, lang)] : [])))];
    if (reasons.length > 0) notes.push(lang === 'zh' ? `${r.label}：${reasons.join('；')}` : `${r.label}: ${reasons.join('; ')}`);
  }
  return notes;
}

/** The note under the fairness table naming the groups too small for a listing rate. */
export function tooSmallNote(groups: string[], min: number, lang: 'en' | 'zh'): string[] {
  if (groups.length === 0) return [];
  return [lang === 'zh' ? `户数少于${min}户、不计入单率：${groups.join('、')}` : `fewer than ${min} households, no listing rate: ${groups.join(', ')}`];
}

export { groupingLabel, groupKeyLabel };
