-- Rule matches of the applicable entities at each score time: events at or
-- before the score time of contacts applicable then, with their age.

with

event_matches as (

    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        event_id,
        occurred_at
    from {{ ref('int_event_rule_matches') }}

),

model_contacts as (

    select
        scored_at,
        model_id,
        contact_id,
        entity_id
    from {{ ref('int_model_contacts') }}

),

attach_entities as (

    select
        model_contacts.scored_at,
        event_matches.model_id,
        event_matches.rule_id,
        event_matches.rule_type,
        model_contacts.entity_id,
        event_matches.event_id,
        event_matches.occurred_at
    from event_matches
    inner join model_contacts
        on
            event_matches.model_id = model_contacts.model_id
            and event_matches.contact_id = model_contacts.contact_id
            and event_matches.occurred_at <= model_contacts.scored_at

),

final as (

    select
        *,
        {{ age_days('occurred_at', 'scored_at') }} as age_days
    from attach_entities

)

select * from final
