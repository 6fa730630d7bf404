-- The event, frequency, inactivity and reset rules with the signature of
-- their matcher: what decides which events they match (event type, field,
-- operator, value). Rules with the same matcher (e.g. the inactivity rules of
-- several models, or two models' /pricing rules) share one set of matches in
-- int_event_rule_matches. A matcher new to int_event_rule_matches (a new or
-- changed rule) is matched over every event; the others only over new events.
-- Points, decay, windows and counts are not part of it: they apply at score
-- time, on every run.

{%- set matcher_columns = ['event_type', 'field_name', 'operator', 'rule_value'] %}

with

event_rules as (

    select
        model_id,
        rule_id,
        rule_type,
        event_type,
        field_name,
        operator,
        rule_value,
        value_number,
        value_lo,
        value_hi
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type in ('event', 'frequency', 'inactivity', 'reset')

),

sign_matchers as (

    -- Each part is length-prefixed, so no two matchers serialise alike. A
    -- null event_type (only valid for inactivity rules) watches every event.
    select
        *,
        {{ dbt.hash(dbt.concat(length_prefixed_parts(matcher_columns))) }} as matcher_signature
    from event_rules

),

final as (

    select * from sign_matchers

)

select * from final
