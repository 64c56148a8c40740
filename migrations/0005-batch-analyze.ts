import { type Kysely, sql } from 'kysely';

/**
 * ANALYZE for the batch login on every server version. The monthly run fills a period's tables
 * inside one transaction, where autovacuum cannot see them, and ANALYZEs them itself; without
 * those statistics the facts query plans for the previous month's sizes and runs for minutes
 * to hours (8,000 households: 17 s as the owner, still running after 400 s as the batch).
 * Before PostgreSQL 17 only a table's owner may ANALYZE it (17 added the MAINTAIN privilege),
 * so the batch asks this function, which runs as its owner (safetynet_owner after `migrate
 * --create-roles`), and which analyses Safetynet's period tables and nothing else.
 *
 * It returns the tables it could not analyse, because its owner does not own them (a database
 * set up by hand): ANALYZE would only have warned, and the run logs them instead.
 */
export const ANALYZABLE = [
  'roster_member', 'disability', 'diagnosis', 'claim', 'household', 'member', 'household_score',
  'identity_rescue', 'rejected_row', 'quality_issue', 'source_load',
] as const;

/**
 * The function, allowing `tables`; a later migration that adds a period table makes it again
 * with the longer list (`create or replace` keeps its owner and grants).
 */
export async function createAnalyzeFunction(db: Kysely<unknown>, tables: readonly string[]): Promise<void> {
  const allowed = sql.raw(`array[${tables.map((t) => `'${t}'`).join(', ')}]::text[]`);
  await sql`
    create or replace function safetynet_analyze(tables text[]) returns text[]
      language plpgsql volatile security definer set search_path = pg_catalog, public as $$
    declare
      t text;
      rel oid;
      skipped text[] := '{}';
    begin
      -- the whole call is refused when one name is not ours: nothing is analysed
      foreach t in array coalesce(tables, array[null]::text[]) loop
        if t is null or not (t = any (${allowed})) then
          raise exception 'safetynet_analyze analyses only Safetynet''s period tables, not %', coalesce(quote_ident(t), 'null')
            using errcode = '42501';
        end if;
      end loop;
      foreach t in array tables loop
        rel := to_regclass(format('public.%I', t));
        if rel is not null and exists (
             select 1 from pg_class c, pg_database d
             where c.oid = rel and d.datname = current_database()
               and (pg_has_role(current_user, c.relowner, 'USAGE') or pg_has_role(current_user, d.datdba, 'USAGE'))) then
          execute format('analyze public.%I', t);
        else
          skipped := skipped || t;
        end if;
      end loop;
      return skipped;
    end $$;
  `.execute(db);
}

/** The tables safetynet_analyze allows now, read back from its own definition. */
export async function analyzableTables(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ src: string }>`select prosrc as src from pg_proc where oid = 'safetynet_analyze(text[])'::regprocedure`.execute(db);
  // the allowed list, not the `array[null]` the function coalesces a null argument to
  const list = /= any \(array\[([^\]]*)\]::text\[\]\)/.exec(rows[0]?.src ?? '');
  if (!list) throw new Error('safetynet_analyze (migration 0005) does not hold the array of its tables where createAnalyzeFunction writes it');
  return [...list[1]!.matchAll(/'([a-z_0-9]+)'/g)].map((m) => m[1]!);
}

/**
 * Adds a migration's period tables to those safetynet_analyze allows (`up`), or takes them out
 * (`down`), whatever tables other migrations added: migrations written side by side need not
 * know each other's lists.
 */
export async function allowAnalyze(db: Kysely<unknown>, tables: readonly string[], allow: boolean): Promise<void> {
  const others = (await analyzableTables(db)).filter((t) => !tables.includes(t));
  await createAnalyzeFunction(db, allow ? [...others, ...tables] : others);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await createAnalyzeFunction(db, ANALYZABLE);
  await sql`revoke execute on function safetynet_analyze(text[]) from public`.execute(db);
  // a migration run as the owner after `migrate --create-roles` (or by its login): the batch may
  // call it at once; otherwise `migrate --create-roles` grants it (src/db/roles.ts)
  await sql`
    do $$ begin
      if to_regrole('safetynet_batch') is not null and current_user = 'safetynet_owner' then
        grant execute on function safetynet_analyze(text[]) to safetynet_batch;
      end if;
    end $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function safetynet_analyze(text[])`.execute(db);
}
