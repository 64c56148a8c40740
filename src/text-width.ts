/** Columns a terminal gives a string: a CJK (or other wide) character takes two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

/** Pads to a display width, so that columns of Chinese text line up on a terminal. */
export const padDisplay = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - displayWidth(s)));
export const padDisplayStart = (s: string, width: number): string => ' '.repeat(Math.max(0, width - displayWidth(s))) + s;
