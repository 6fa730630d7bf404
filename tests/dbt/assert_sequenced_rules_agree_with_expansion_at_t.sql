-- At T, sequenced rules (int_sequenced_rules) are also expanded match by
-- match (int_entity_event_matches, int_event_rule_hits: what the explanation
-- of a score reads). Both must agree: the same hits and hit_weight per event
-- rule and entity (to 1e-9), and the same latest match per inactivity rule.
-- Rows returned are disagreements.

with

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

),

sequenced_values as (

    select
        sequenced.model_id,
        sequenced.entity_id,
        sequenced.rule_id,
        sequenced.rule_type,
        sequenced.hits,
        sequenced.hit_weight,
        sequenced.last_matched_at
    from {{ ref('int_sequenced_rule_values') }} as sequenced
    inner join current_score_time
        on sequenced.scored_at = current_score_time.scored_at
    where sequenced.rule_type in ('event', 'inactivity')

),

sum_event_hits as (

    select
        hits.model_id,
        hits.entity_id,
        hits.rule_id,
        'event' as rule_type,
        count(*) as hits,
        sum(hits.decay_multiplier) as hit_weight,
        cast(null as {{ dbt.type_timestamp() }}) as last_matched_at
    from {{ ref('int_event_rule_hits') }} as hits
    inner join current_score_time
        on hits.scored_at = current_score_time.scored_at
    where hits.is_sequenced
    group by hits.model_id, hits.entity_id, hits.rule_id

),

find_last_inactivity_matches as (

    select
        matches.model_id,
        matches.entity_id,
        matches.rule_id,
        'inactivity' as rule_type,
        cast(0 as bigint) as hits,
        cast(0 as {{ type_double() }}) as hit_weight,
        max(matches.occurred_at) as last_matched_at
    from {{ ref('int_entity_event_matches') }} as matches
    inner join current_score_time
        on matches.scored_at = current_score_time.scored_at
    where matches.is_sequenced and matches.rule_type = 'inactivity'
    group by matches.model_id, matches.entity_id, matches.rule_id

),

expanded_values as (

    select * from sum_event_hits
    union all
    select * from find_last_inactivity_matches

),

compare as (

    select
        sequenced_values.hits as sequenced_hits,
        expanded_values.hits as expanded_hits,
        sequenced_values.hit_weight as sequenced_hit_weight,
        expanded_values.hit_weight as expanded_hit_weight,
        sequenced_values.last_matched_at as sequenced_last_matched_at,
        expanded_values.last_matched_at as expanded_last_matched_at,
        coalesce(sequenced_values.model_id, expanded_values.model_id) as model_id,
        coalesce(sequenced_values.entity_id, expanded_values.entity_id) as entity_id,
        coalesce(sequenced_values.rule_id, expanded_values.rule_id) as rule_id
    from sequenced_values
    full outer join expanded_values
        on
            sequenced_values.model_id = expanded_values.model_id
            and sequenced_values.entity_id = expanded_values.entity_id
            and sequenced_values.rule_id = expanded_values.rule_id
            and sequenced_values.rule_type = expanded_values.rule_type

),

final as (

    select *
    from compare
    where
        sequenced_hits is null
        or expanded_hits is null
        or sequenced_hits <> expanded_hits
        or abs(sequenced_hit_weight - expanded_hit_weight) > 1e-9 * (1 + abs(expanded_hit_weight))
        or (
            sequenced_last_matched_at <> expanded_last_matched_at
            or (sequenced_last_matched_at is null) <> (expanded_last_matched_at is null)
        )

)

select * from final
