with

attribute_rule_points as (

    select
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        points
    from {{ ref('int_attribute_rule_points') }}

),

event_rule_hits as (

    select
        model_id,
        entity_id,
        rule_id,
        group_id,
        points
    from {{ ref('int_event_rule_hits') }}

),

frequency_rule_points as (

    select
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        points
    from {{ ref('int_frequency_rule_points') }}

),

inactivity_rule_points as (

    select
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        points
    from {{ ref('int_inactivity_rule_points') }}

),

sum_event_rule_hits as (

    select
        model_id,
        entity_id,
        rule_id,
        group_id,
        count(*) as hits,
        sum(points) as points
    from event_rule_hits
    group by model_id, entity_id, rule_id, group_id

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
        model_id,
        entity_id,
        rule_id,
        group_id,
        cast(hits as bigint) as hits,
        cast(points as {{ type_double() }}) as points
    from combine_rule_types

)

select * from final
