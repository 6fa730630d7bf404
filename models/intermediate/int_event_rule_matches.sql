{{ config(materialized='table') }}

with

event_rules as (

    select
        model_id,
        rule_id,
        rule_type,
        event_type,
        field_name,
        operator,
        value_number,
        value_lo,
        value_hi
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type in ('event', 'frequency', 'inactivity', 'reset')

),

model_contacts as (

    select
        model_id,
        entity_id,
        contact_id
    from {{ ref('int_model_contacts') }}

),

events as (

    select
        event_id,
        contact_id,
        event_type,
        occurred_at,
        url,
        detail
    from {{ ref('stg_crm__events') }}
    where occurred_at <= {{ as_of_timestamp() }}

),

attach_entities as (

    select
        model_contacts.model_id,
        model_contacts.entity_id,
        events.event_id,
        events.event_type,
        events.occurred_at,
        events.url,
        events.detail
    from events
    inner join model_contacts
        on events.contact_id = model_contacts.contact_id

),

match_event_types as (

    -- Inactivity rules without an event type watch every event.
    select
        attach_entities.model_id,
        event_rules.rule_id,
        event_rules.rule_type,
        attach_entities.entity_id,
        attach_entities.event_id,
        attach_entities.occurred_at,
        event_rules.operator,
        event_rules.value_number,
        event_rules.value_lo,
        event_rules.value_hi,
        case event_rules.field_name
            when 'url' then attach_entities.url
            when 'detail' then attach_entities.detail
        end as field_value
    from attach_entities
    inner join event_rules
        on
            attach_entities.model_id = event_rules.model_id
            and (
                attach_entities.event_type = event_rules.event_type
                or (event_rules.event_type is null and event_rules.rule_type = 'inactivity')
            )

),

conditional_matches as (

    select
        model_id,
        rule_id,
        rule_type,
        entity_id,
        event_id,
        occurred_at,
        operator,
        value_number,
        value_lo,
        value_hi,
        {{ normalized_text('field_value') }} as subject_text,
        {{ to_number_or_null('field_value') }} as subject_number
    from match_event_types
    where operator is not null

),

evaluate_conditions as (

    {{ rule_condition_matches(
        'conditional_matches',
        ['model_id', 'rule_id', 'rule_type', 'entity_id', 'event_id', 'occurred_at']
    ) }}

),

combine_matches as (

    select
        model_id,
        rule_id,
        rule_type,
        entity_id,
        event_id,
        occurred_at
    from match_event_types
    where operator is null

    union all

    select
        model_id,
        rule_id,
        rule_type,
        entity_id,
        event_id,
        occurred_at
    from evaluate_conditions
    where is_match

),

final as (

    select
        *,
        {{ age_days('occurred_at') }} as age_days
    from combine_matches

)

select * from final
