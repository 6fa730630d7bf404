{{ config(materialized='table') }}

-- Events matched to the event, frequency, inactivity and reset rules of
-- every model, once: independent of the score time (int_entity_event_matches
-- applies each score time), so history and backtests reuse the matching.

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

events as (

    -- Nothing after T exists (every score time is at or before T).
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

find_event_types as (

    select distinct event_type
    from events

),

expand_rule_event_types as (

    -- The event types each rule watches: its own, or every type for an
    -- inactivity rule without one.
    select
        event_rules.model_id,
        event_rules.rule_id,
        coalesce(event_rules.event_type, find_event_types.event_type) as watched_event_type
    from event_rules
    inner join find_event_types
        on
            event_rules.event_type = find_event_types.event_type
            or (event_rules.event_type is null and event_rules.rule_type = 'inactivity')

),

match_event_types as (

    select
        event_rules.model_id,
        event_rules.rule_id,
        event_rules.rule_type,
        events.contact_id,
        events.event_id,
        events.occurred_at,
        event_rules.operator,
        event_rules.value_number,
        event_rules.value_lo,
        event_rules.value_hi,
        case event_rules.field_name
            when 'url' then events.url
            when 'detail' then events.detail
        end as field_value
    from events
    inner join expand_rule_event_types
        on events.event_type = expand_rule_event_types.watched_event_type
    inner join event_rules
        on
            expand_rule_event_types.model_id = event_rules.model_id
            and expand_rule_event_types.rule_id = event_rules.rule_id

),

conditional_matches as (

    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
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
        ['model_id', 'rule_id', 'rule_type', 'contact_id', 'event_id', 'occurred_at']
    ) }}

),

combine_matches as (

    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        event_id,
        occurred_at
    from match_event_types
    where operator is null

    union all

    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        event_id,
        occurred_at
    from evaluate_conditions
    where is_match

),

final as (

    select * from combine_matches

)

select * from final
