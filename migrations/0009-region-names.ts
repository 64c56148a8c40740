import { type Kysely, sql } from 'kysely';

/**
 * The names of streets and communities (`<inbox>/regions.csv` and the config's `regions`), so
 * that lists, cards and reports say 中南路街道 beside 420106001. Reference data, no person in it:
 * the exporter reads it through a plain view of schema safetynet_export (it reads no table of
 * schema public but the ledger), without row security. Households keep their codes: the
 * row-security policies match code prefixes, and a name never decides who sees what.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table region_name (
      -- a county (6), street (9) or community (12) code
      region_code text primary key check (region_code ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
      name text not null check (btrim(name) <> ''),
      -- 'regions.csv' or 'config': where the monthly run read it
      source text not null
    );
    create view safetynet_export.region_name as select region_code, name from public.region_name;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop view safetynet_export.region_name;
    drop table region_name;
  `.execute(db);
}
