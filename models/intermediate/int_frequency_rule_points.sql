with

frequency_rules as (

    select
        model_id,
        rule_id,
        group_id,
        points,
        min_events,
        within_days
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type = 'frequency'

),

frequency_matches as (

    select
        scored_at,
        model_id,
        rule_id,
        entity_id,
        occurred_at,
        age_days
    from {{ ref('int_entity_event_matches') }}
    where rule_type = 'frequency'

),

entity_resets as (

    select
        scored_at,
        model_id,
        entity_id,
        reset_at
    from {{ ref('int_entity_resets') }}

),

sequenced_counts as (

    select
        scored_at,
        model_id,
        rule_id,
        entity_id,
        hits as recent_events
    from {{ ref('int_sequenced_rule_values') }}
    where rule_type = 'frequency'

),

count_expanded_events as (

    select
        frequency_matches.scored_at,
        frequency_matches.model_id,
        frequency_matches.rule_id,
        frequency_matches.entity_id,
        count(*) as recent_events
    from frequency_matches
    inner join frequency_rules
        on
            frequency_matches.model_id = frequency_rules.model_id
            and frequency_matches.rule_id = frequency_rules.rule_id
    left join entity_resets
        on
            frequency_matches.scored_at = entity_resets.scored_at
            and frequency_matches.model_id = entity_resets.model_id
            and frequency_matches.entity_id = entity_resets.entity_id
    where
        frequency_matches.age_days < frequency_rules.within_days
        and (entity_resets.reset_at is null or frequency_matches.occurred_at >= entity_resets.reset_at)
    group by
        frequency_matches.scored_at,
        frequency_matches.model_id,
        frequency_matches.rule_id,
        frequency_matches.entity_id

),

count_recent_events as (

    -- Expanded (int_entity_event_matches) and sequenced rules are disjoint.
    select * from count_expanded_events
    union all
    select * from sequenced_counts

),

final as (

    select
        count_recent_events.scored_at,
        count_recent_events.model_id,
        count_recent_events.entity_id,
        count_recent_events.rule_id,
        frequency_rules.group_id,
        1 as hits,
        cast(1 as {{ type_double() }}) as hit_weight,
        frequency_rules.points
    from count_recent_events
    inner join frequency_rules
        on
            count_recent_events.model_id = frequency_rules.model_id
            and count_recent_events.rule_id = frequency_rules.rule_id
    where count_recent_events.recent_events >= frequency_rules.min_events

)

select * from final
