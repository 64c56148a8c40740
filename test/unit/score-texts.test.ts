import { describe, expect, it } from 'vitest';
import { cutText, type CutText, md5Key } from '../../src/score/score-texts.js';

/** The text a template and its figures give, as PostgreSQL's `format()` gives it (`safetynet_text_filled`). */
function filledText({ template, figures }: CutText): string {
  const numbers = figures === null ? [] : figures.split(' ');
  let i = 0;
  return template.replace(/%[s%]/g, (m) => (m === '%%' ? '%' : numbers[i++]!));
}

/** A reason's text cut into a template and its figures (migration 0034), and back. */
describe('a score text cut into a template and its figures', () => {
  it('takes out each number as written, in order, whatever the language', () => {
    const text = '{"text": "income 762 yuan per person a month, under the local dibao standard of 1,100 yuan", "points": 32.4, "text_zh": "人均月收入762元，低于当地低保标准1,100元"}';
    expect(cutText(text)).toEqual({
      template: '{"text": "income %s yuan per person a month, under the local dibao standard of %s yuan", "points": %s, "text_zh": "人均月收入%s元，低于当地低保标准%s元"}',
      figures: '762 1,100 32.4 762 1,100',
    });
  });

  it('gives two texts alike but for their numbers one template', () => {
    expect(cutText('out-of-pocket medical 5,811 yuan in 12 months, 1.2x').template).toBe(cutText('out-of-pocket medical 18,145 yuan in 12 months, 0.9x').template);
  });

  it('gives every text back byte for byte: percent signs, a literal %s, dates, full-width digits, no number at all', () => {
    for (const text of [
      'wages at a combined rate of 24%; "%s" is not a figure; 100%% sure; since 2025-10-24, 1.2x, C:\\x',
      '合计缴存比例24%，自２０２５年起，１名',
      'no able earner',
      '',
      '1,2,3. and 4.5.6, end.',
    ]) {
      const cut = cutText(text);
      expect(filledText(cut), text).toBe(text);
      expect(cut.template.replaceAll('%%', '').replaceAll('%s', '')).not.toContain('%');
    }
    expect(cutText('no able earner').figures).toBeNull();
  });

  it('keys a text as PostgreSQL\'s md5(text)::uuid does', () => {
    expect(md5Key('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
});
