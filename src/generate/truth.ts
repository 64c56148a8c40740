import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32, Rng } from './random.js';

/**
 * What the generated city's households truly are, beyond what its files show: the truth a
 * street worker finds at the door, against which a test checks the list's measured precision and
 * miss rate.
 *
 * A household is in need when its true per-capita income is under the local dibao standard it was
 * generated with (dibao-standards.csv: longest region prefix, latest month in force). True income
 * is the roster's (or, where the roster has none, what the household was generated with) plus
 * undeclared support the roster never shows: children's support of elderly-only households (4 in
 * 10, 300-900 yuan a person a month), odd jobs and family help elsewhere (15 in 100, 100-500).
 * Income the roster overstates: an earner who lost work or fell ill since the roster was last
 * updated, a third to three fifths of the income gone; 3 in 10 households at 1-1.5x the standard,
 * 1 in 20 at 1.5-2.5x. So a roster that says "under the standard" is not always right, nor one
 * that says "over it": the list's precision and its misses are both real, which is what visits
 * (and the audit sample) are for.
 * One door in ten stays shut (refused or not found), whoever is behind it: missing at random.
 *
 * Drawn from a stream of its own per household (seeded from the city's seed and the household's
 * number), never from the city's stream: a city with its truth written has the same bytes as one
 * without.
 */
export const TRUTH_HEADER = 'household_id,in_need,opens_door,true_per_capita,standard';

/** The shares and amounts of the undeclared support and of doors that stay shut (see the comment above). */
const SUPPORT = { elderlyOnly: { chance: 0.4, from: 300, to: 900 }, others: { chance: 0.15, from: 100, to: 500 } };
/** the chance of an overstated income by the roster's per-capita income over the standard, and the share of it lost */
const OVERSTATED = [{ below: 1.5, chance: 0.3 }, { below: 2.5, chance: 0.05 }];
const LOST = { from: 0.3, to: 0.6 };
const DOOR_SHUT = 0.1;

interface StandardLine {
  prefix: string;
  hukou: string;
  from: string;
  yuan: number;
}

export class CityTruth {
  private readonly lines: string[][];
  private readonly standards: StandardLine[];
  private support = { h: -1, yuan: 0, lost: 0 };

  constructor(
    private readonly seed: number,
    private readonly periods: readonly string[],
    private readonly out: string,
    standardRows: readonly string[],
  ) {
    this.lines = periods.map(() => [TRUTH_HEADER]);
    this.standards = standardRows.map((row) => {
      const [prefix, hukou, from, yuan] = row.split(',') as [string, string, string, string];
      return { prefix, hukou, from, yuan: Number(yuan) };
    });
  }

  /** the standard in force for a household's region and hukou in a period */
  standardOf(region: string, hukou: string, period: string): number {
    const inForce = this.standards
      .filter((s) => region.startsWith(s.prefix) && s.hukou === hukou && s.from <= period)
      .sort((a, b) => b.prefix.length - a.prefix.length || b.from.localeCompare(a.from));
    return inForce[0]?.yuan ?? (hukou === 'rural' ? 850 : 1000);
  }

  /** one household in period k: `ages` of the members present, `income` the roster's monthly total (null: none on record) */
  record(id: string, h: number, k: number, region: string, hukou: string, ages: readonly number[], income: number | null, perCapita: number): void {
    if (ages.length === 0) return;
    const standard = this.standardOf(region, hukou, this.periods[k]!);
    const rosterPerCapita = (income ?? perCapita * ages.length) / ages.length;
    if (this.support.h !== h) {
      const rng = new Rng(mulberry32((this.seed ^ Math.imul(h + 1, 0x9e3779b1)) >>> 0));
      const kind = ages.every((a) => a >= 60) ? SUPPORT.elderlyOnly : SUPPORT.others;
      const yuan = rng.chance(kind.chance) ? rng.int(kind.from, kind.to) : 0;
      const ratio = rosterPerCapita / standard;
      const overstated = ratio >= 1 && rng.chance(OVERSTATED.find((o) => ratio < o.below)?.chance ?? 0);
      this.support = { h, yuan, lost: overstated ? LOST.from + rng.next() * (LOST.to - LOST.from) : 0 };
    }
    const door = new Rng(mulberry32((this.seed ^ Math.imul(h + 1, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35)) >>> 0));
    const truePerCapita = rosterPerCapita * (1 - this.support.lost) + this.support.yuan;
    const opens = !door.chance(DOOR_SHUT);
    this.lines[k]!.push(`${id},${truePerCapita < standard ? 1 : 0},${opens ? 1 : 0},${Math.round(truePerCapita)},${standard}`);
  }

  async close(): Promise<void> {
    for (let k = 0; k < this.periods.length; k++) await writeFile(join(this.out, this.periods[k]!, 'truth.csv'), `${this.lines[k]!.join('\n')}\n`);
  }
}

export interface HouseholdTruth {
  householdId: string;
  inNeed: boolean;
  opensDoor: boolean;
}

/** A period's truth.csv of a city generated with `truth: true`, by household id. */
export async function readCityTruth(cityDir: string, period: string): Promise<Map<string, HouseholdTruth>> {
  const text = await readFile(join(cityDir, period, 'truth.csv'), 'utf8');
  const rows = text.trim().split('\n').slice(1);
  return new Map(
    rows.map((row) => {
      const [householdId, inNeed, opensDoor] = row.split(',') as [string, string, string];
      return [householdId, { householdId, inNeed: inNeed === '1', opensDoor: opensDoor === '1' }];
    }),
  );
}

/**
 * A visit report (the columns `visits import` reads) of what visits to these households would
 * find: in need → assisted (dibao), not in need → not eligible, a shut door → refused or not
 * found (alternately). Households the truth does not know (people only other departments list)
 * are not visited.
 */
export function simulatedVisits(truth: ReadonlyMap<string, HouseholdTruth>, householdIds: readonly string[], visitedOn: string): string {
  const lines = ['household_id,visited_on,outcome,assistance_granted,note'];
  let shut = 0;
  for (const id of householdIds) {
    const t = truth.get(id);
    if (!t) continue;
    const outcome = !t.opensDoor ? (shut++ % 2 === 0 ? 'refused' : 'not_found') : t.inNeed ? 'assisted_dibao' : 'not_eligible';
    lines.push(`${id},${visitedOn},${outcome},,simulated`);
  }
  return `${lines.join('\n')}\n`;
}
