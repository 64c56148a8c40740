import { civilAffairs } from './civil-affairs/civil-affairs.source.js';
import type { Department, DepartmentId, PeriodTable } from './department.js';
import type { Versioned } from '../db/versions.js';
import { disability } from './disability/disability.source.js';
import { education } from './education/education.source.js';
import { emergency } from './emergency/emergency.source.js';
import { health } from './health/health.source.js';
import { housing } from './housing/housing.source.js';
import { humanResources } from './human-resources/human-resources.source.js';
import { medicalInsurance } from './medical-insurance/medical-insurance.source.js';
import { publicSecurity } from './public-security/public-security.source.js';
import { verification } from './verification/verification.source.js';

/**
 * The registry of departments, in the order a run loads them (the roster first). Everything
 * that lists departments asks it when it runs, never at import: a department registered later
 * (a bureau's plug-in, a test's throwaway one) is seen everywhere.
 */
const registry = new Map<DepartmentId, Department>();

/** Names in `operation.sources` that are not departments. */
const OTHER_FILES = new Set(['manifest', 'dibao-standards']);
const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function problemsOf(def: Department): string[] {
  const problems: string[] = [];
  if (!ID.test(def.id)) problems.push('its id must be lower-case words joined by "-" (e.g. human-resources)');
  if (OTHER_FILES.has(def.id)) problems.push(`"${def.id}" names another file of operation.sources`);
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(def.file)) problems.push('its file must be a base name without extension (e.g. health, read as health.csv or health.xlsx)');
  const names = def.columns.map((c) => c.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) problems.push(`columns declared twice: ${twice.join(', ')}`);
  const id = def.columns.find((c) => c.name === def.idColumn);
  if (!id) problems.push(`its idColumn ${def.idColumn} is not one of its columns`);
  else if (!id.required) problems.push(`its idColumn ${def.idColumn} must be a required column`);
  if (!def.versions && !def.periodTables.some((t) => t.table === def.table)) problems.push(`its table ${def.table} must be one of its periodTables`);
  if (def.versions && def.rescuable && !def.addRescued) problems.push('a department kept as versions that is rescuable needs addRescued');
  if (def.definesHouseholds && !def.required) problems.push('the department that defines households must be required');
  if (def.definesHouseholds && def.notOnRoster) problems.push('the department that defines households has no people outside the roster');
  for (const other of registry.values()) {
    if (other.id === def.id) problems.push('a department with this id is registered already');
    if (other.file === def.file) problems.push(`department ${other.id} already reads the file ${def.file}`);
    for (const t of def.periodTables) {
      if (other.periodTables.some((o) => o.table === t.table)) problems.push(`department ${other.id} already keeps its rows in ${t.table}`);
    }
    if (def.versions && other.versions?.table === def.versions.table) problems.push(`department ${other.id} already keeps its rows in ${def.versions.table}`);
    if (def.definesHouseholds && other.definesHouseholds) problems.push(`department ${other.id} already defines the households`);
    const facts = new Set(other.householdFacts?.columns.map((c) => c.name));
    const shared = (def.householdFacts?.columns ?? []).filter((c) => facts.has(c.name)).map((c) => c.name);
    if (shared.length > 0) problems.push(`department ${other.id} already gives the household facts ${shared.join(', ')}`);
  }
  return problems;
}

/**
 * Adds a department to the registry, after the ones there; returns the function that takes it
 * out again (a test's throwaway department). A declaration that contradicts itself or the
 * registry is refused with every problem named.
 */
export function registerDepartment(def: Department): () => void {
  const problems = problemsOf(def);
  if (problems.length > 0) throw new Error(`department ${def.id} cannot be registered: ${problems.join('; ')}`);
  registry.set(def.id, def);
  return () => {
    if (registry.get(def.id) === def) registry.delete(def.id);
  };
}

/** Every registered department, in the order a run loads them. */
export function departments(): Department[] {
  return [...registry.values()];
}

/** Every department's period tables: a rerun clears them, purge deletes from them, the run analyzes them. */
export function departmentTables(): PeriodTable[] {
  return departments().flatMap((d) => d.periodTables);
}

/** Every department's tables of versions (the roster's): purge forgets periods of them, the run analyzes them. */
export function departmentVersions(): Versioned[] {
  return departments().flatMap((d) => (d.versions ? [d.versions] : []));
}

/**
 * The departments that send each month's new rows (claims): their rows of earlier months in a
 * window still count, where a snapshot department's latest month says everything.
 */
export function deltaDepartmentIds(): DepartmentId[] {
  return departments().filter((d) => d.delivery === 'delta').map((d) => d.id);
}

export function departmentIds(): DepartmentId[] {
  return [...registry.keys()];
}

export function findDepartment(id: string): Department | undefined {
  return registry.get(id);
}

/** The department of a source_load or rejected_row's `source`: one that is not registered is a programming error. */
export function department(id: string): Department {
  const def = registry.get(id);
  if (!def) throw new Error(`no department ${id} is registered (registered: ${departmentIds().join(', ')})`);
  return def;
}

// the departments of the contract; a new one is one more line here (docs/departments.md)
registerDepartment(civilAffairs);
registerDepartment(disability);
registerDepartment(medicalInsurance);
registerDepartment(health);
registerDepartment(humanResources);
registerDepartment(housing);
registerDepartment(emergency);
registerDepartment(education);
registerDepartment(publicSecurity);
registerDepartment(verification);
