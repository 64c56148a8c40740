import { loadConfig } from '../config/load-config.js';
import { UsageError } from '../errors.js';

/**
 * Which households an export may show: the region scope the export chokepoint hands to the
 * database's row-level security (src/db/roles.ts), as a 6-digit county, 9-digit street or
 * 12-digit community prefix of the household's region code.
 *
 * The operator's configured scope (SAFETYNET_REGION, else the config's `access.region`) is the
 * limit; `--region` narrows within it and may not leave it. With no configured scope, `--region`
 * is the scope. With neither, there is no scope and, where the roles are set up, the export
 * shows no household at all: nothing is the safe default, never everything.
 */
export const REGION_CODE = /^\d{6}(\d{3}){0,2}$/;

export interface RegionScope {
  /** what the policies see; null: no household */
  scope: string | null;
  /** where the scope came from, for the audit log and messages */
  source: 'SAFETYNET_REGION' | 'config access.region' | '--region' | null;
}

/** The operator's configured scope: SAFETYNET_REGION, else `access.region` of the config file. */
export function configuredRegion(configFile?: string, env: NodeJS.ProcessEnv = process.env): Omit<RegionScope, 'scope'> & { region: string | null } {
  const fromEnv = env.SAFETYNET_REGION?.trim();
  if (fromEnv) {
    if (!REGION_CODE.test(fromEnv)) throw new UsageError(`SAFETYNET_REGION "${fromEnv}" must be a 6-digit county, 9-digit street or 12-digit community code`);
    return { region: fromEnv, source: 'SAFETYNET_REGION' };
  }
  const region = loadConfig(configFile ?? env.SAFETYNET_CONFIG).config.access.region;
  return region ? { region, source: 'config access.region' } : { region: null, source: null };
}

/** The scope of one export: the configured one, or `--region` when nothing is configured. */
export function resolveRegionScope(requested: string | undefined, configured: { region: string | null; source: RegionScope['source'] }): RegionScope {
  if (configured.region) {
    if (requested !== undefined && !requested.startsWith(configured.region)) {
      throw new UsageError(
        `--region ${requested} is outside the region this operator may export (${configured.region}, from ${configured.source}); ` +
          `give a code that starts with ${configured.region}, or leave --region out`,
      );
    }
    return { scope: configured.region, source: configured.source };
  }
  if (requested !== undefined) {
    if (!REGION_CODE.test(requested)) {
      throw new UsageError(`--region "${requested}" must be a 12-digit community code, a 9-digit street prefix or a 6-digit county code`);
    }
    return { scope: requested, source: '--region' };
  }
  return { scope: null, source: null };
}
