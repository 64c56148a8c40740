import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-routes-and-identity-rescue.js';
import * as m0004 from './0004-visits-and-urgent-warnings.js';

/** Every migration, by name; names sort in the order they run. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-routes-and-identity-rescue': m0002,
  '0004-visits-and-urgent-warnings': m0004,
  '0003-roles-and-row-security': await import('./0003-roles-and-row-security.js'),
  '0005-batch-analyze': await import('./0005-batch-analyze.js'),
  '0006-export-scope-and-masked-views': await import('./0006-export-scope-and-masked-views.js'),
  '0007-dimension-scores-as-data': await import('./0007-dimension-scores-as-data.js'),
  '0008-human-resources': await import('./0008-human-resources.js'),
  '0009-region-names': await import('./0009-region-names.js'),
  '0010-public-security': await import('./0010-public-security.js'),
  '0011-housing': await import('./0011-housing.js'),
  '0012-emergency': await import('./0012-emergency.js'),
  '0013-education': await import('./0013-education.js'),
  '0014-verification': await import('./0014-verification.js'),
  '0015-household-signals': await import('./0015-household-signals.js'),
  '0016-urgent-warnings-for-events': await import('./0016-urgent-warnings-for-events.js'),
  '0017-audit-sample': await import('./0017-audit-sample.js'),
  '0018-period-partitions': await import('./0018-period-partitions.js'),
  '0019-evidence-age': await import('./0019-evidence-age.js'),
  '0020-period-parent-statistics': await import('./0020-period-parent-statistics.js'),
  '0021-export-views-without-barrier': await import('./0021-export-views-without-barrier.js'),
  '0022-partition-statistics-without-json': await import('./0022-partition-statistics-without-json.js'),
  '0023-claim-latest-version': await import('./0023-claim-latest-version.js'),
  '0024-claim-latest-bulk-build': await import('./0024-claim-latest-bulk-build.js'),
  '0025-roster-versions': await import('./0025-roster-versions.js'),
  '0026-score-explanations': await import('./0026-score-explanations.js'),
  '0027-members-from-roster-versions': await import('./0027-members-from-roster-versions.js'),
  '0028-household-versions': await import('./0028-household-versions.js'),
  '0029-scores-by-household-versions-with-room': await import('./0029-scores-by-household-versions-with-room.js'),
  '0030-claims-superseded-by': await import('./0030-claims-superseded-by.js'),
  '0031-score-reasons-kept-once': await import('./0031-score-reasons-kept-once.js'),
  '0032-snapshot-departments-as-versions': await import('./0032-snapshot-departments-as-versions.js'),
  '0033-verification-and-enrolment-as-versions': await import('./0033-verification-and-enrolment-as-versions.js'),
  '0034-score-texts-as-templates-and-figures': await import('./0034-score-texts-as-templates-and-figures.js'),
  '0035-scores-ranked-on-the-list-only': await import('./0035-scores-ranked-on-the-list-only.js'),
  '0036-signal-sets-kept-once': await import('./0036-signal-sets-kept-once.js'),
};
