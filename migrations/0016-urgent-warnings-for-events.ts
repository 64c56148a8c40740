import { type Kysely, sql } from 'kysely';

/**
 * Urgent warnings for any department's night events, not only claims: a warning names the
 * event that raised it (`event_key`: the department and its own key of the event, such as
 * `medical-insurance:<claim id>` or `emergency:<disaster>:<date>`), still once per household and
 * event. The warnings raised before are claims': their keys are the claim ids, prefixed here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table urgent_warning rename column claim_id to event_key;
    alter view safetynet_export.urgent_warning rename column claim_id to event_key;
    update urgent_warning set event_key = 'medical-insurance:' || event_key;
    alter table urgent_warning drop constraint urgent_warning_kind_check;
    alter table urgent_warning add constraint urgent_warning_kind_check
      check (kind in ('crossed_threshold', 'severe_event', 'main_earner_died', 'disaster_loss'));
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // the claim ids come back; warnings about other events have no claim to name and go
  await sql`
    delete from urgent_warning where event_key not like 'medical-insurance:%';
    update urgent_warning set event_key = substr(event_key, length('medical-insurance:') + 1);
    alter table urgent_warning drop constraint urgent_warning_kind_check;
    alter table urgent_warning add constraint urgent_warning_kind_check check (kind in ('crossed_threshold', 'severe_event'));
    alter view safetynet_export.urgent_warning rename column event_key to claim_id;
    alter table urgent_warning rename column event_key to claim_id;
  `.execute(db);
}
