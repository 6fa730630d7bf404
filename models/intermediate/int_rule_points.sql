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

combine_rule_types as (

    -- Every import CTE lists the same columns in the same order.
    select * from attribute_rule_points
    union all
    select * from sum_event_rule_hits
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
