{{ config(materialized='table') }}

-- A table, not a view: several data tests and the next model read it at
-- every score time, and would each re-run its joins (docs/performance.md).

with

rule_points as (

    select
        scored_at,
        model_id,
        entity_id,
        group_id,
        points
    from {{ ref('int_rule_points') }}

),

scoring_groups as (

    select
        model_id,
        group_id,
        dimension,
        max_points
    from {{ ref('stg_config__scoring_groups') }}

),

sum_rule_points as (

    select
        scored_at,
        model_id,
        entity_id,
        group_id,
        {{ deterministic_sum('points') }} as uncapped_points
    from rule_points
    group by scored_at, model_id, entity_id, group_id

),

final as (

    -- The cap bounds a group from above only: negative rules pull it below 0.
    select
        sum_rule_points.scored_at,
        sum_rule_points.model_id,
        sum_rule_points.entity_id,
        sum_rule_points.group_id,
        scoring_groups.dimension,
        scoring_groups.max_points,
        sum_rule_points.uncapped_points,
        case
            when sum_rule_points.uncapped_points > scoring_groups.max_points
                then scoring_groups.max_points
            else sum_rule_points.uncapped_points
        end as points
    from sum_rule_points
    inner join scoring_groups
        on
            sum_rule_points.model_id = scoring_groups.model_id
            and sum_rule_points.group_id = scoring_groups.group_id

)

select * from final
