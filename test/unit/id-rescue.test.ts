import { describe, expect, it } from 'vitest';
import { parseIdNumber } from '../../src/identity/id-number.js';
import { birthDateOf, decideRescue, idDifference, keyingDifference, nearNumbers, type RosterPerson } from '../../src/identity/id-rescue.js';
import { makeId } from '../helpers/inbox.js';

/** Keying errors of one department against the civil-affairs roster, decided without a database. */

const person = makeId('19700101', 123); // 420106 19700101 123 + check
const roster: RosterPerson = { id18: person, household_id: 'H1', name: '张伟', birth_date: '1970-01-01' };

/** one digit of the sequence changed (position 15): the check digit no longer fits */
const slip = (id: string, at = 15) => id.slice(0, at) + String((Number(id[at]) + 1) % 10) + id.slice(at + 1);
const swap = (id: string, at: number) => id.slice(0, at) + id[at + 1] + id[at] + id.slice(at + 2);

describe('keying errors', () => {
  it('a wrong digit and a swap of neighbours make the number invalid, and are recognised', () => {
    expect(parseIdNumber(slip(person)).ok).toBe(false);
    expect(idDifference(slip(person), person)).toBe('substitution');
    const swapped = swap(person, 14); // '1','2' of the sequence
    expect(parseIdNumber(swapped).ok).toBe(false);
    expect(idDifference(swapped, person)).toBe('transposition');
    expect(idDifference(swap(slip(person), 14), person)).toBeNull(); // two errors
  });

  it('the roster is searched for every valid number one error away, the meant one among them', () => {
    const near = nearNumbers(slip(person));
    expect(near).toContain(person);
    for (const n of near) expect(parseIdNumber(n).ok).toBe(true);
    expect(nearNumbers(swap(person, 14))).toContain(person);
    expect(nearNumbers('12345')).toEqual([]);
  });

  it('the birth date the number claims, when its digits are a date', () => {
    expect(birthDateOf(slip(person))).toBe('1970-01-01');
    expect(birthDateOf('420106197002301234')).toBeNull();
  });
});

describe('decideRescue', () => {
  it('one roster person, same name, birth date and region, one wrong digit: linked', () => {
    const d = decideRescue({ number: slip(person), name: '张伟', birthDate: null }, [roster]);
    expect(d).toMatchObject({ outcome: 'rescued', id18: person, confidence: 0.9, difference: 'substitution' });
    expect(d.reason).toBe('ID number differs from roster person 420106********' + person.slice(-4) + ' (household H1) by one wrong digit; same name, birth date and region: linked');
    expect(d.reason).not.toContain(person); // masked
  });

  it('an adjacent swap is linked with a higher confidence', () => {
    const d = decideRescue({ number: swap(person, 14), name: '张伟', birthDate: null }, [roster]);
    expect(d).toMatchObject({ outcome: 'rescued', confidence: 0.95, difference: 'transposition' });
  });

  it('two roster people who both fit: ambiguous, to review', () => {
    const sent = slip(person);
    // another valid number one error from the sent one, same region and birth date (another sequence)
    const twin = nearNumbers(sent).find((n) => n !== person && n.slice(0, 14) === person.slice(0, 14))!;
    expect(twin).toBeDefined();
    const d = decideRescue({ number: sent, name: '张伟', birthDate: null }, [roster, { ...roster, id18: twin, household_id: 'H2' }]);
    expect(d.outcome).toBe('review');
    expect(d.reason).toContain('2 roster people match');
    expect(d.candidates.map((c) => c.household_id)).toEqual(['H1', 'H2']);
  });

  it('a near number of someone with another name is a weak candidate: review, not a link', () => {
    const d = decideRescue({ number: slip(person), name: '李娜', birthDate: null }, [roster]);
    expect(d.outcome).toBe('review');
    expect(d.reason).toContain('differs in name');
  });

  it('an error in the birth-date digits is not linked on its own: review', () => {
    const wrongDay = slip(person, 13); // 19700102
    const d = decideRescue({ number: wrongDay, name: '张伟', birthDate: null }, [roster]);
    expect(d.outcome).toBe('review');
    // unless a birth-date column confirms the roster's date
    expect(decideRescue({ number: wrongDay, name: '张伟', birthDate: '1970-01-01' }, [roster]).outcome).toBe('rescued');
  });

  it('an old 15-digit number with a slip is compared on its own digits (our check digit is no evidence)', () => {
    const holder = makeId('19620927', 690, '610104');
    const sent15 = '610104620937690'; // 27 September keyed as 37: the number is rejected for its birth date
    expect(parseIdNumber(sent15).ok).toBe(false);
    expect(nearNumbers(sent15)).toContain(holder);
    expect(keyingDifference(sent15, holder)).toBe('substitution');
    // the slip is in the birth date: a candidate for an analyst, never an automatic link
    const d = decideRescue({ number: sent15, name: '张伟', birthDate: null }, [{ ...roster, id18: holder, birth_date: '1962-09-27' }]);
    expect(d.outcome).toBe('review');
    expect(d.candidates[0]).toMatchObject({ difference: 'substitution', name_matches: true, region_matches: true, birth_matches: false });
  });

  it('no candidate: stays rejected', () => {
    expect(decideRescue({ number: slip(person), name: '张伟', birthDate: null }, []).outcome).toBe('rejected');
  });

  it("an analyst's answer is remembered: confirmed links, refused stays rejected", () => {
    const at = '2026-11-02T08:00:00Z';
    const confirmed = decideRescue({ number: slip(person), name: '李娜', birthDate: null }, [], {
      decision: 'confirmed', id18: person, decided_by: 'wang', decided_at: at,
    });
    expect(confirmed).toMatchObject({ outcome: 'rescued', id18: person, confidence: 1, difference: 'confirmed' });
    expect(confirmed.reason).toBe('linked as confirmed by wang on 2026-11-02');
    const refused = decideRescue({ number: slip(person), name: '张伟', birthDate: null }, [roster], {
      decision: 'refused', id18: null, decided_by: 'wang', decided_at: at,
    });
    expect(refused.outcome).toBe('rejected');
  });
});
