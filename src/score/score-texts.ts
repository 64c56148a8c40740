import { createHash } from 'node:crypto';

/**
 * A text of the scores' reasons cut into a template and its figures (migration 0034): each
 * number (digits, with `,` or `.` between digits: `1,100`, `32.4`) replaced by `%s`, each `%`
 * doubled, and the numbers as written joined by spaces. PostgreSQL's `format(template, VARIADIC
 * figures)` gives the text back byte for byte (`safetynet_text_filled`); the migration's
 * functions `safetynet_text_template` and `safetynet_text_figures` cut a text alike.
 *
 * In Node, not in the database: PostgreSQL's regular expressions took 25 µs a reason (they work
 * on wide characters, and half of each reason is Chinese), this takes under 2.
 */
const NUMBER = /[0-9]+(?:[.,][0-9]+)*/g;

export interface CutText {
  template: string;
  /** null: no number */
  figures: string | null;
}

export function cutText(text: string): CutText {
  const figures: string[] = [];
  const template = text.replaceAll('%', '%%').replace(NUMBER, (n) => {
    figures.push(n);
    return '%s';
  });
  return { template, figures: figures.length === 0 ? null : figures.join(' ') };
}

/** The key PostgreSQL's `md5(text)::uuid` gives a text (reasons and templates are kept under it). */
export const md5Key = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
