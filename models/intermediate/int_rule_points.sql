{{ config(materialized='table') }}

with

attribute_rule_points as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        hit_weight,
        points
    from {{ ref('int_attribute_rule_points') }}

),

event_rule_hits as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        decay_multiplier,
        points
    from {{ ref('int_event_rule_hits') }}
    -- Sequenced rules are here at T only (to explain each hit); their
    -- values at every score time come from int_sequenced_rule_values.
    where not is_sequenced

),

event_rules as (

    select
        model_id,
        rule_id,
        group_id,
        points
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type = 'event'

),

sequenced_event_values as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        hits,
        hit_weight
    from {{ ref('int_sequenced_rule_values') }}
    where rule_type = 'event'

),

frequency_rule_points as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        hit_weight,
        points
    from {{ ref('int_frequency_rule_points') }}

),

inactivity_rule_points as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        hit_weight,
        points
    from {{ ref('int_inactivity_rule_points') }}

),

sum_event_rule_hits as (

    -- hit_weight: the sum of the hits' decay multipliers, so that
    -- points = the rule's points * hit_weight for every rule type.
    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        count(*) as hits,
        {{ deterministic_sum('decay_multiplier') }} as hit_weight,
        {{ deterministic_sum('points') }} as points
    from event_rule_hits
    group by scored_at, model_id, entity_id, rule_id, group_id

),

score_sequenced_event_rules as (

    select
        sequenced_event_values.scored_at,
        sequenced_event_values.model_id,
        sequenced_event_values.entity_id,
        sequenced_event_values.rule_id,
        event_rules.group_id,
        sequenced_event_values.hits,
        sequenced_event_values.hit_weight,
        event_rules.points * sequenced_event_values.hit_weight as points
    from sequenced_event_values
    inner join event_rules
        on
            sequenced_event_values.model_id = event_rules.model_id
            and sequenced_event_values.rule_id = event_rules.rule_id

),

combine_rule_types as (

    -- Every import CTE lists the same columns in the same order.
    select * from attribute_rule_points
    union all
    select * from sum_event_rule_hits
    union all
    select * from score_sequenced_event_rules
    union all
    select * from frequency_rule_points
    union all
    select * from inactivity_rule_points

),

final as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        cast(hits as bigint) as hits,
        cast(hit_weight as {{ type_double() }}) as hit_weight,
        cast(points as {{ type_double() }}) as points
    from combine_rule_types

)

select * from final
