import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkDigit, maskAddress, maskIdNumber, maskName, maskPhone, parseIdNumber } from '../../src/identity/id-number.js';

interface Vector {
  id: string;
  expected: 'valid' | 'invalid' | 'valid_with_warning';
  reason?: string;
  id18?: string;
  normalised?: string;
  source: string;
}

const vectorsFile = new URL('../vectors/id-vectors.json', import.meta.url);
const sharedVectors = new URL('../../../shared/id-vectors.json', import.meta.url);
const { vectors } = JSON.parse(readFileSync(vectorsFile, 'utf8')) as { vectors: Vector[] };

describe('GB 11643 ID numbers against the shared public vectors', () => {
  it('has vectors to check', () => {
    expect(vectors.length).toBeGreaterThan(10);
  });

  it.skipIf(!existsSync(sharedVectors))('keeps the repository copy equal to the shared file', () => {
    expect(readFileSync(vectorsFile, 'utf8')).toBe(readFileSync(sharedVectors, 'utf8'));
  });

  for (const v of vectors) {
    it(`${v.id} is ${v.expected}${v.reason ? ` (${v.reason})` : ''}`, () => {
      const result = parseIdNumber(v.id);
      if (v.expected === 'invalid') {
        expect(result.ok).toBe(false);
        if (!result.ok && v.reason && !v.source.includes('either reason')) {
          // 'bad address code' vectors are rejected for their check digit, as the source notes.
          expect(result.reason).toBe(v.reason);
        }
        return;
      }
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      if (v.id18) expect(result.id18).toBe(v.id18);
      if (v.normalised) expect(result.id18).toBe(v.normalised);
      if (v.expected === 'valid_with_warning') expect(result.warning).toBe(v.reason);
      if (v.id.length === 18 && /^[\dxX]+$/.test(v.id)) expect(result.id18).toBe(v.id.toUpperCase());
    });
  }
});

describe('identity rules of the contract', () => {
  it('links an old 15-digit number to its 18-digit form', () => {
    const old = parseIdNumber('610104620927690');
    const current = parseIdNumber('610104196209276908');
    expect(old.ok && current.ok && old.id18 === current.id18).toBe(true);
    expect(old.ok && old.upgradedFrom15).toBe(true);
  });

  it('treats lowercase x and full-width digits as the same person', () => {
    const a = parseIdNumber('34052419800101001x');
    const b = parseIdNumber(' ３４０５２４１９８００１０１００１Ｘ ');
    expect(a.ok && b.ok && a.id18 === '34052419800101001X' && b.id18 === a.id18).toBe(true);
  });

  it('takes birth date and sex from the number', () => {
    const r = parseIdNumber('110101199003078670');
    expect(r).toMatchObject({ ok: true, birthDate: '1990-03-07', sex: 'male' });
    expect(parseIdNumber('120103198806018241')).toMatchObject({ birthDate: '1988-06-01', sex: 'female' });
  });

  it('rejects a birth date after the period it is read for', () => {
    const id17 = '42010620270101001';
    const r = parseIdNumber(id17 + checkDigit(id17), new Date(Date.UTC(2026, 9, 31)));
    expect(r).toMatchObject({ ok: false, reason: 'birthdate' });
  });

  it('masks ID numbers and names as the export contract shows', () => {
    expect(maskIdNumber('11010119900307123X')).toBe('110101********123X');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳小明')).toBe('欧*');
  });

  it('masks addresses and phones as the masked views do: the first 6 characters; the first 3 and last 4 digits', () => {
    expect(maskAddress('湖北省武汉市武昌区中山路1号, 3单元')).toBe('湖北省武汉市…');
    expect(maskAddress('中山路1号')).toBe('中山路1号');
    expect(maskAddress('')).toBe('');
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('027-8888')).toBe('027*8888');
    expect(maskPhone('8888888')).toBe('*******');
  });
});
