import { civilAffairs } from './civil-affairs/civil-affairs.source.js';
import { disability } from './disability/disability.source.js';
import { health } from './health/health.source.js';
import { medicalInsurance } from './medical-insurance/medical-insurance.source.js';
import type { SourceDefinition, SourceId } from './source.js';

/** The four departments, in the order a run loads them. */
export const sources: Record<SourceId, SourceDefinition<any>> = {
  'civil-affairs': civilAffairs,
  disability,
  'medical-insurance': medicalInsurance,
  health,
};
