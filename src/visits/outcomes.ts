/** What a visit found: the ids that `visits import` stores, whatever words the report used. */
export const visitOutcomes = [
  'assisted_dibao', 'assisted_tekun', 'assisted_temporary', 'assisted_medical', 'assisted_other',
  'not_eligible', 'refused', 'not_found', 'moved',
] as const;
export type VisitOutcome = (typeof visitOutcomes)[number];
