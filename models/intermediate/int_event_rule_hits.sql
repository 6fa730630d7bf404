{{ config(materialized='table') }}

-- A table, not a view: several data tests and the next model read it at
-- every score time, and would each re-run its joins (docs/performance.md).

with

event_rules as (

    select
        model_id,
        rule_id,
        group_id,
        points,
        max_count,
        window_days,
        decay,
        decay_days,
        decay_factor
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type = 'event'

),

event_matches as (

    select
        scored_at,
        model_id,
        rule_id,
        entity_id,
        event_id,
        occurred_at,
        age_days,
        is_sequenced
    from {{ ref('int_entity_event_matches') }}
    where rule_type = 'event'

),

entity_resets as (

    select
        scored_at,
        model_id,
        entity_id,
        reset_at
    from {{ ref('int_entity_resets') }}

),

apply_window_and_reset as (

    select
        event_matches.scored_at,
        event_matches.model_id,
        event_matches.rule_id,
        event_matches.entity_id,
        event_matches.event_id,
        event_matches.occurred_at,
        event_matches.age_days,
        event_matches.is_sequenced,
        event_rules.group_id,
        event_rules.points,
        event_rules.max_count,
        event_rules.decay,
        event_rules.decay_days,
        event_rules.decay_factor
    from event_matches
    inner join event_rules
        on
            event_matches.model_id = event_rules.model_id
            and event_matches.rule_id = event_rules.rule_id
    left join entity_resets
        on
            event_matches.scored_at = entity_resets.scored_at
            and event_matches.model_id = entity_resets.model_id
            and event_matches.entity_id = entity_resets.entity_id
    where
        (event_rules.window_days is null or event_matches.age_days < event_rules.window_days)
        and (entity_resets.reset_at is null or event_matches.occurred_at >= entity_resets.reset_at)

),

rank_by_recency as (

    select
        *,
        row_number() over (
            partition by scored_at, model_id, rule_id, entity_id
            order by occurred_at desc, event_id desc
        ) as recency_rank
    from apply_window_and_reset

),

apply_max_count as (

    select *
    from rank_by_recency
    where max_count is null or recency_rank <= max_count

),

apply_decay as (

    select
        *,
        case decay
            when 'exponential' then power(decay_factor, age_days / decay_days)
            when 'step' then power(decay_factor, floor(age_days / decay_days))
            else 1
        end as decay_multiplier
    from apply_max_count

),

final as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        event_id,
        occurred_at,
        age_days,
        recency_rank,
        decay_multiplier,
        is_sequenced,
        points * decay_multiplier as points
    from apply_decay

)

select * from final
