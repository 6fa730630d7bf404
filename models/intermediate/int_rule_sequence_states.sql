{{ config(materialized='table') }}

-- The state of each sequenced rule (int_sequenced_rules) for each contact,
-- recorded at the score times where it changes: one row per model, rule,
-- contact and score_time_index at which a match starts or stops counting (or
-- a step of decay passes). The state holds until next_score_time_index.
-- Cost: the matches plus their changes, never the matches times the score
-- times (docs/performance.md).
--
-- A match counts from its occurred_at until removed_at, the earliest of:
--   event rules: occurred_at + window_days; the occurred_at of its
--     max_count-th later match (max_count 1: the next match); the contact's
--     first reset strictly after it (a match at the reset instant counts);
--   frequency rules: occurred_at + within_days; the first later reset.
-- A moment t is first seen at the score time with previous_scored_at < t <=
-- scored_at. Per change: hits +1 / -1 and the change of hit_weight, the sum of
-- the decay multipliers of the counted matches:
--   no decay: +1 / -1;
--   exponential: decay_factor ^ ((T - occurred_at) / decay_days) for T the
--     latest score time (forward decay, Cormode et al. 2009: a multiplier
--     fixed per match, rescaled per score time in int_sequenced_rule_values);
--   step: decay_factor ^ k at the first score time, then a change at each
--     step occurred_at + k * decay_days the grid reaches.
-- Inactivity rules keep last_matched_at, the latest match so far.

{%- set micros_per_day = 86400000000 %}
{%- set end_of_time = 253402300800000000 %}

with

score_times as (

    select
        score_time_index,
        {{ epoch_microseconds('scored_at') }} as scored_at_us,
        coalesce({{ epoch_microseconds('previous_scored_at') }}, -{{ end_of_time }}) as previous_scored_at_us
    from {{ ref('int_score_times') }}

),

rules as (

    select
        model_id,
        rule_id,
        rule_type,
        matcher_signature,
        max_count,
        window_days,
        decay,
        decay_days,
        decay_factor,
        within_days,
        is_sequenced
    from {{ ref('int_sequenced_rules') }}

),

rule_matches as (

    -- The matches are read once per use below (rule_matches, counted_matches,
    -- reset_matches, inactivity_matches), each filtered by its matchers: a
    -- shared CTE of every match would be materialized by engines that keep
    -- a CTE read twice (tens of millions of rows in memory).
    select
        matcher_signature,
        contact_id,
        match_number,
        {{ epoch_microseconds('occurred_at') }} as occurred_at_us,
        {{ epoch_microseconds('next_occurred_at') }} as next_occurred_at_us
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null

),

counted_matches as (

    select
        matcher_signature,
        contact_id,
        match_number,
        {{ epoch_microseconds('occurred_at') }} as occurred_at_us
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null

),

reset_matches as (

    select
        matcher_signature,
        contact_id,
        {{ epoch_microseconds('occurred_at') }} as occurred_at_us
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null

),

inactivity_matches as (

    select
        matcher_signature,
        contact_id,
        occurred_at,
        {{ epoch_microseconds('occurred_at') }} as occurred_at_us
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null

),

find_grid_bounds as (

    select
        min(scored_at_us) as first_scored_at_us,
        max(scored_at_us) as last_scored_at_us
    from score_times

),

number_sequenced_rules as (

    -- Small integer keys for the few rules, models and matchers, so that the
    -- rows per match below stay narrow (names and 32-character matcher
    -- signatures are joined back at the end): the matches of one build can
    -- be tens of millions of rows.
    select
        model_id,
        rule_id,
        rule_type,
        matcher_signature,
        max_count,
        decay,
        decay_days,
        decay_factor,
        row_number() over (order by model_id, rule_id) as rule_key,
        dense_rank() over (order by model_id) as model_key,
        dense_rank() over (order by matcher_signature) as matcher_key,
        case
            when rule_type = 'event' and window_days is not null
                then cast(round(window_days * {{ micros_per_day }}) as {{ dbt.type_bigint() }})
            when rule_type = 'frequency'
                then cast(round(within_days * {{ micros_per_day }}) as {{ dbt.type_bigint() }})
        end as window_us
    from rules
    where is_sequenced

),

measure_grid_span as (

    select
        cast(last_scored_at_us - first_scored_at_us as {{ type_double() }})
        / {{ micros_per_day }} as span_days
    from find_grid_bounds

),

list_sequenced_models as (

    select distinct
        model_id,
        model_key
    from number_sequenced_rules

),

list_counted_matchers as (

    -- Matchers of sequenced event rules with max_count > 1.
    select distinct
        matcher_signature,
        matcher_key
    from number_sequenced_rules
    where rule_type = 'event' and max_count > 1

),

list_resets as (

    -- Every reset time of each model's contacts (any reset rule).
    select distinct
        list_sequenced_models.model_key,
        reset_matches.contact_id,
        reset_matches.occurred_at_us as reset_at_us
    from reset_matches
    inner join rules
        on reset_matches.matcher_signature = rules.matcher_signature
    inner join list_sequenced_models
        on rules.model_id = list_sequenced_models.model_id
    where rules.rule_type = 'reset'

),

build_reset_intervals as (

    -- A match in [previous_reset_at, reset_at) is cut at reset_at.
    select
        model_key,
        contact_id,
        reset_at_us,
        coalesce(
            lag(reset_at_us) over (partition by model_key, contact_id order by reset_at_us),
            -{{ end_of_time }}
        ) as previous_reset_at_us
    from list_resets

),

displacing_candidates as (

    select
        list_counted_matchers.matcher_key,
        counted_matches.contact_id,
        counted_matches.match_number,
        counted_matches.occurred_at_us
    from counted_matches
    inner join list_counted_matchers
        on counted_matches.matcher_signature = list_counted_matchers.matcher_signature

),

attach_rules as (

    -- One narrow row per match and event or frequency rule of its matcher.
    select
        number_sequenced_rules.rule_key,
        number_sequenced_rules.model_key,
        number_sequenced_rules.matcher_key,
        number_sequenced_rules.rule_type,
        number_sequenced_rules.max_count,
        number_sequenced_rules.window_us,
        rule_matches.contact_id,
        rule_matches.match_number,
        rule_matches.occurred_at_us,
        rule_matches.next_occurred_at_us
    from rule_matches
    inner join number_sequenced_rules
        on rule_matches.matcher_signature = number_sequenced_rules.matcher_signature
    cross join find_grid_bounds as grid
    where
        rule_matches.occurred_at_us <= grid.last_scored_at_us
        and number_sequenced_rules.rule_type in ('event', 'frequency')

),

find_displacements as (

    -- The later match that pushes this one out of the max_count latest
    -- (max_count 1: the next match).
    select
        attach_rules.rule_key,
        attach_rules.model_key,
        attach_rules.contact_id,
        attach_rules.occurred_at_us,
        attach_rules.window_us,
        case
            when attach_rules.rule_type = 'event' and attach_rules.max_count = 1
                then attach_rules.next_occurred_at_us
            when attach_rules.rule_type = 'event' and attach_rules.max_count > 1
                then displacing.occurred_at_us
        end as displaced_at_us
    from attach_rules
    left join displacing_candidates as displacing
        on
            attach_rules.matcher_key = displacing.matcher_key
            and attach_rules.contact_id = displacing.contact_id
            and displacing.match_number
            = attach_rules.match_number + cast(attach_rules.max_count as {{ dbt.type_bigint() }})

),

find_resets_after as (

    select
        find_displacements.*,
        build_reset_intervals.reset_at_us as reset_after_us
    from find_displacements
    left join build_reset_intervals
        on
            find_displacements.model_key = build_reset_intervals.model_key
            and find_displacements.contact_id = build_reset_intervals.contact_id
            and find_displacements.occurred_at_us >= build_reset_intervals.previous_reset_at_us
            and find_displacements.occurred_at_us < build_reset_intervals.reset_at_us

),

compute_removals as (

    -- removed_at_us: when the match stops counting (end of time: never).
    select
        rule_key,
        contact_id,
        occurred_at_us,
        least(
            coalesce(occurred_at_us + window_us, {{ end_of_time }}),
            coalesce(displaced_at_us, {{ end_of_time }}),
            coalesce(reset_after_us, {{ end_of_time }})
        ) as removed_at_us
    from find_resets_after

),

find_step_ages as (

    -- Matches that count at some score time, with their age in steps of
    -- decay at the first score time and just before their removal.
    select
        compute_removals.rule_key,
        compute_removals.contact_id,
        compute_removals.occurred_at_us,
        compute_removals.removed_at_us,
        number_sequenced_rules.decay,
        number_sequenced_rules.decay_days,
        number_sequenced_rules.decay_factor,
        case
            when number_sequenced_rules.decay = 'step' and compute_removals.occurred_at_us < grid.first_scored_at_us
                then floor(
                        cast(grid.first_scored_at_us - compute_removals.occurred_at_us as {{ type_double() }})
                        / {{ micros_per_day }} / number_sequenced_rules.decay_days
                    )
            else 0
        end as first_step,
        case
            when number_sequenced_rules.decay = 'step'
                then least(
                        floor(
                            cast(grid.last_scored_at_us - compute_removals.occurred_at_us as {{ type_double() }})
                            / {{ micros_per_day }} / number_sequenced_rules.decay_days
                        ),
                        ceil(
                            cast(
                                compute_removals.removed_at_us - compute_removals.occurred_at_us as {{ type_double() }}
                            )
                            / {{ micros_per_day }} / number_sequenced_rules.decay_days
                        ) - 1
                    )
            else 0
        end as last_step,
        case
            when number_sequenced_rules.decay = 'exponential'
                then power(
                        number_sequenced_rules.decay_factor,
                        cast(grid.last_scored_at_us - compute_removals.occurred_at_us as {{ type_double() }})
                        / {{ micros_per_day }} / number_sequenced_rules.decay_days
                    )
        end as latest_weight,
        grid.last_scored_at_us
    from compute_removals
    inner join number_sequenced_rules
        on compute_removals.rule_key = number_sequenced_rules.rule_key
    cross join find_grid_bounds as grid
    where
        compute_removals.removed_at_us > grid.first_scored_at_us
        and compute_removals.removed_at_us > compute_removals.occurred_at_us

),

keep_reachable_matches as (

    -- start_weight / end_weight: the decay multiplier when the match starts
    -- counting (at the first score time, for an older match) and just
    -- before it stops. Exponential decay keeps one multiplier, as of the
    -- latest score time (latest_weight).
    select
        rule_key,
        contact_id,
        occurred_at_us,
        removed_at_us,
        decay,
        decay_days,
        decay_factor,
        first_step,
        last_step,
        last_scored_at_us,
        case decay
            when 'exponential' then latest_weight
            when 'step' then power(decay_factor, first_step)
            else 1
        end as start_weight,
        case decay
            when 'exponential' then latest_weight
            when 'step' then power(decay_factor, last_step)
            else 1
        end as end_weight
    from find_step_ages

),

list_integers as (

    {{ integer_spine(1000) }}

),

list_change_ordinals as (

    -- The changes a counted match makes, per rule: 0 it starts counting, -1 it
    -- stops, k >= 1 (step decay) it loses its k-th step past the first score
    -- time, at most as many steps as the score times span, plus one
    -- (int_sequenced_rules keeps that at most 100). One join to this small
    -- table turns each match into its changes in one pass. Joins, not
    -- scalar or IN subqueries, here: Spark serializes a subquery's plan into
    -- its tasks, which fails when the plan holds a union (ClassCastException
    -- on UnionExec.children, seen with the unit tests' literal inputs).
    select
        number_sequenced_rules.rule_key,
        list_integers.n - 2 as change_ordinal
    from number_sequenced_rules
    cross join measure_grid_span as grid
    inner join list_integers
        on
            list_integers.n
            <= case
                when number_sequenced_rules.decay = 'step'
                    then ceil(grid.span_days / number_sequenced_rules.decay_days) + 3
                else 2
            end
    where number_sequenced_rules.rule_type in ('event', 'frequency')

),

list_changes as (

    -- A match starts counting, stops counting (before the last score time),
    -- and (step decay) loses a step at occurred_at + k * decay_days.
    select
        keep_reachable_matches.rule_key,
        keep_reachable_matches.contact_id,
        case list_change_ordinals.change_ordinal
            when 0 then keep_reachable_matches.occurred_at_us
            when -1 then keep_reachable_matches.removed_at_us
            else
                keep_reachable_matches.occurred_at_us
                + cast(
                    round(
                        (keep_reachable_matches.first_step + list_change_ordinals.change_ordinal)
                        * keep_reachable_matches.decay_days * {{ micros_per_day }}
                    ) as {{ dbt.type_bigint() }}
                )
        end as changed_at_us,
        case list_change_ordinals.change_ordinal
            when 0 then 1
            when -1 then -1
            else 0
        end as hits_change,
        case list_change_ordinals.change_ordinal
            when 0 then keep_reachable_matches.start_weight
            when -1 then -1 * keep_reachable_matches.end_weight
            else
                power(
                    keep_reachable_matches.decay_factor,
                    keep_reachable_matches.first_step + list_change_ordinals.change_ordinal
                )
                - power(
                    keep_reachable_matches.decay_factor,
                    keep_reachable_matches.first_step + list_change_ordinals.change_ordinal - 1
                )
        end as weight_change
    from keep_reachable_matches
    inner join list_change_ordinals
        on keep_reachable_matches.rule_key = list_change_ordinals.rule_key
    where
        list_change_ordinals.change_ordinal = 0
        or (
            list_change_ordinals.change_ordinal = -1
            and keep_reachable_matches.removed_at_us <= keep_reachable_matches.last_scored_at_us
        )
        or (
            list_change_ordinals.change_ordinal >= 1
            and list_change_ordinals.change_ordinal
            <= keep_reachable_matches.last_step - keep_reachable_matches.first_step
        )

),

list_grid_days as (

    -- Day numbers (microseconds // a day) from the first score time's day to
    -- the last one's: up to 1,000,000 days.
    select
        {{ epoch_day('grid.first_scored_at_us') }}
        + (day_thousands.n - 1) * 1000
        + day_units.n - 1 as day_number
    from list_integers as day_thousands
    cross join list_integers as day_units
    cross join find_grid_bounds as grid
    where
        (day_thousands.n - 1) * 1000 + day_units.n - 1
        <= {{ epoch_day('grid.last_scored_at_us') }}
        - {{ epoch_day('grid.first_scored_at_us') }}

),

map_days_to_score_times as (

    -- The score times (after the first) whose interval (previous_scored_at,
    -- scored_at] overlaps each day: a change finds its score time by an
    -- equality join on its day, then the interval.
    select
        list_grid_days.day_number,
        score_times.score_time_index,
        score_times.previous_scored_at_us,
        score_times.scored_at_us
    from score_times
    inner join list_grid_days
        on
            {{ epoch_day('score_times.previous_scored_at_us') }}
            <= list_grid_days.day_number
            and list_grid_days.day_number
            <= {{ epoch_day('score_times.scored_at_us') }}
    where score_times.score_time_index > 1

),

assign_score_times as (

    -- The first score time at or after the change: the first one for a
    -- change at or before it, else the one whose interval holds it.
    select
        list_changes.*,
        coalesce(map_days_to_score_times.score_time_index, 1) as score_time_index
    from list_changes
    left join map_days_to_score_times
        on
            {{ epoch_day('list_changes.changed_at_us') }}
            = map_days_to_score_times.day_number
            and list_changes.changed_at_us > map_days_to_score_times.previous_scored_at_us
            and list_changes.changed_at_us <= map_days_to_score_times.scored_at_us

),

sum_changes as (

    select
        rule_key,
        contact_id,
        score_time_index,
        sum(hits_change) as hits_change,
        {{ deterministic_sum('weight_change') }} as weight_change
    from assign_score_times
    group by rule_key, contact_id, score_time_index

),

accumulate_changes as (

    select
        rule_key,
        contact_id,
        score_time_index,
        lead(score_time_index) over (
            partition by rule_key, contact_id
            order by score_time_index
        ) as next_score_time_index,
        sum(hits_change) over (
            partition by rule_key, contact_id
            order by score_time_index
            rows between unbounded preceding and current row
        ) as hits,
        {{ deterministic_sum(
            'weight_change',
            'partition by rule_key, contact_id order by score_time_index rows between unbounded preceding and current row'
        ) }} as hit_weight
    from sum_changes

),

list_inactivity_matchers as (

    select distinct
        matcher_signature,
        matcher_key
    from number_sequenced_rules
    where rule_type = 'inactivity'

),

find_latest_inactivity_matches as (

    -- Inactivity rules read the latest match: per matcher (the models'
    -- inactivity rules often share one), contact and score time, the latest
    -- match first seen there.
    select
        list_inactivity_matchers.matcher_key,
        inactivity_matches.contact_id,
        coalesce(map_days_to_score_times.score_time_index, 1) as score_time_index,
        max(inactivity_matches.occurred_at) as last_matched_at
    from inactivity_matches
    inner join list_inactivity_matchers
        on inactivity_matches.matcher_signature = list_inactivity_matchers.matcher_signature
    cross join find_grid_bounds as grid
    left join map_days_to_score_times
        on
            {{ epoch_day('inactivity_matches.occurred_at_us') }}
            = map_days_to_score_times.day_number
            and inactivity_matches.occurred_at_us > map_days_to_score_times.previous_scored_at_us
            and inactivity_matches.occurred_at_us <= map_days_to_score_times.scored_at_us
    where inactivity_matches.occurred_at_us <= grid.last_scored_at_us
    group by
        list_inactivity_matchers.matcher_key,
        inactivity_matches.contact_id,
        coalesce(map_days_to_score_times.score_time_index, 1)

),

accumulate_inactivity as (

    select
        matcher_key,
        contact_id,
        score_time_index,
        lead(score_time_index) over (
            partition by matcher_key, contact_id
            order by score_time_index
        ) as next_score_time_index,
        max(last_matched_at) over (
            partition by matcher_key, contact_id
            order by score_time_index
            rows between unbounded preceding and current row
        ) as last_matched_at
    from find_latest_inactivity_matches

),

combine_states as (

    -- A state without counted matches scores nothing (it only ends the
    -- state before it).
    select
        number_sequenced_rules.model_id,
        number_sequenced_rules.rule_id,
        number_sequenced_rules.rule_type,
        accumulate_changes.contact_id,
        accumulate_changes.score_time_index,
        accumulate_changes.next_score_time_index,
        accumulate_changes.hits,
        accumulate_changes.hit_weight,
        cast(null as {{ dbt.type_timestamp() }}) as last_matched_at
    from accumulate_changes
    inner join number_sequenced_rules
        on accumulate_changes.rule_key = number_sequenced_rules.rule_key
    where accumulate_changes.hits > 0

    union all

    select
        number_sequenced_rules.model_id,
        number_sequenced_rules.rule_id,
        number_sequenced_rules.rule_type,
        accumulate_inactivity.contact_id,
        accumulate_inactivity.score_time_index,
        accumulate_inactivity.next_score_time_index,
        0 as hits,
        0 as hit_weight,
        accumulate_inactivity.last_matched_at
    from accumulate_inactivity
    inner join number_sequenced_rules
        on accumulate_inactivity.matcher_key = number_sequenced_rules.matcher_key
    where number_sequenced_rules.rule_type = 'inactivity'

),

final as (

    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        score_time_index,
        next_score_time_index,
        cast(hits as bigint) as hits,
        cast(hit_weight as {{ type_double() }}) as hit_weight,
        last_matched_at
    from combine_states

)

select * from final
