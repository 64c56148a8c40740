import { findDepartment } from '../ingest/departments.js';

/**
 * The departments whose data point at a household (src/ingest/department.ts `signal`), named for
 * the reader: the list, the card and the report say "残联、医保", not department ids. An id no
 * longer registered (a period scored with a department since removed) shows as the id.
 */
export type SignalLang = 'en' | 'zh';

export const signalLabel = (id: string, lang: SignalLang): string => findDepartment(id)?.labels[lang] ?? id;

/** What the department's signal means, in the reader's language ('' for an id no longer registered). */
export const signalMeaning = (id: string, lang: SignalLang): string => findDepartment(id)?.signal?.meaning[lang] ?? '';

/** The list's cell: the labels in the stored (registry) order, joined as the language joins a list. */
export const signalLabels = (ids: readonly string[], lang: SignalLang): string => ids.map((id) => signalLabel(id, lang)).join(lang === 'zh' ? '、' : '; ');
