{{ config(materialized='table') }}

-- A table, not a view: several data tests and the next model read it at
-- every score time, and would each re-run its joins (docs/performance.md).

with

inactivity_rules as (

    select
        model_id,
        rule_id,
        group_id,
        points,
        max_count,
        within_days
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type = 'inactivity'

),

model_entities as (

    select
        scored_at,
        model_id,
        entity_id,
        created_at
    from {{ ref('int_model_entities') }}

),

expanded_matches as (

    select
        scored_at,
        model_id,
        rule_id,
        entity_id,
        occurred_at
    from {{ ref('int_entity_event_matches') }}
    where rule_type = 'inactivity'

),

sequenced_last_matches as (

    select
        scored_at,
        model_id,
        rule_id,
        entity_id,
        last_matched_at as occurred_at
    from {{ ref('int_sequenced_rule_values') }}
    where rule_type = 'inactivity'

),

combine_matches as (

    select * from expanded_matches
    union all
    select * from sequenced_last_matches

),

find_last_matches as (

    -- A sequenced rule is also expanded at T, with the same latest match.
    select
        scored_at,
        model_id,
        rule_id,
        entity_id,
        max(occurred_at) as last_matched_at
    from combine_matches
    group by scored_at, model_id, rule_id, entity_id

),

compute_idle_days as (

    -- Idle since the latest matching event, or since the entity's creation
    -- when there is none.
    select
        model_entities.scored_at,
        model_entities.model_id,
        model_entities.entity_id,
        inactivity_rules.rule_id,
        inactivity_rules.group_id,
        inactivity_rules.points,
        inactivity_rules.max_count,
        floor(
            {{ age_days(
                'coalesce(find_last_matches.last_matched_at, model_entities.created_at)',
                'model_entities.scored_at'
            ) }}
            / inactivity_rules.within_days
        ) as idle_periods
    from model_entities
    inner join inactivity_rules
        on model_entities.model_id = inactivity_rules.model_id
    left join find_last_matches
        on
            model_entities.scored_at = find_last_matches.scored_at
            and model_entities.model_id = find_last_matches.model_id
            and model_entities.entity_id = find_last_matches.entity_id
            and inactivity_rules.rule_id = find_last_matches.rule_id

),

apply_max_count as (

    select
        *,
        case
            when max_count is not null and idle_periods > max_count then max_count
            else idle_periods
        end as counted_periods
    from compute_idle_days

),

final as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        cast(counted_periods as bigint) as hits,
        cast(counted_periods as {{ type_double() }}) as hit_weight,
        points * counted_periods as points
    from apply_max_count
    where counted_periods > 0

)

select * from final
