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

match_sequences as (

    select
        matcher_signature,
        contact_id,
        occurred_at,
        match_number,
        {{ epoch_microseconds('occurred_at') }} as occurred_at_us,
        {{ epoch_microseconds('next_occurred_at') }} as next_occurred_at_us
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null

),

find_grid_bounds as (

    select
        min(scored_at_us) as first_scored_at_us,
        max(scored_at_us) as last_scored_at_us
    from score_times

),

sequenced_rules as (

    select *
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

    select distinct model_id
    from sequenced_rules

),

list_counted_matchers as (

    -- Matchers of sequenced event rules with max_count > 1.
    select distinct matcher_signature
    from sequenced_rules
    where rule_type = 'event' and max_count > 1

),

list_resets as (

    -- Every reset time of each model's contacts (any reset rule).
    select distinct
        rules.model_id,
        match_sequences.contact_id,
        match_sequences.occurred_at_us as reset_at_us
    from match_sequences
    inner join rules
        on match_sequences.matcher_signature = rules.matcher_signature
    inner join list_sequenced_models
        on rules.model_id = list_sequenced_models.model_id
    where rules.rule_type = 'reset'

),

build_reset_intervals as (

    -- A match in [previous_reset_at, reset_at) is cut at reset_at.
    select
        model_id,
        contact_id,
        reset_at_us,
        coalesce(
            lag(reset_at_us) over (partition by model_id, contact_id order by reset_at_us),
            -{{ end_of_time }}
        ) as previous_reset_at_us
    from list_resets

),

attach_rules as (

    select
        sequenced_rules.model_id,
        sequenced_rules.rule_id,
        sequenced_rules.rule_type,
        sequenced_rules.max_count,
        sequenced_rules.window_days,
        sequenced_rules.decay,
        sequenced_rules.decay_days,
        sequenced_rules.decay_factor,
        sequenced_rules.within_days,
        match_sequences.matcher_signature,
        match_sequences.contact_id,
        match_sequences.occurred_at,
        match_sequences.occurred_at_us,
        match_sequences.match_number,
        match_sequences.next_occurred_at_us
    from match_sequences
    inner join sequenced_rules
        on match_sequences.matcher_signature = sequenced_rules.matcher_signature
    cross join find_grid_bounds as grid
    where
        match_sequences.occurred_at_us <= grid.last_scored_at_us
        and sequenced_rules.rule_type in ('event', 'frequency')

),

displacing_candidates as (

    select
        match_sequences.matcher_signature,
        match_sequences.contact_id,
        match_sequences.match_number,
        match_sequences.occurred_at_us
    from match_sequences
    inner join list_counted_matchers
        on match_sequences.matcher_signature = list_counted_matchers.matcher_signature

),

find_displacements as (

    -- The later match that pushes this one out of the max_count latest.
    select
        attach_rules.*,
        case
            when attach_rules.rule_type = 'event' and attach_rules.max_count = 1
                then attach_rules.next_occurred_at_us
        end as displaced_at_us
    from attach_rules
    where not (attach_rules.rule_type = 'event' and coalesce(attach_rules.max_count, 0) > 1)

    union all

    select
        attach_rules.*,
        displacing.occurred_at_us as displaced_at_us
    from attach_rules
    left join displacing_candidates as displacing
        on
            attach_rules.matcher_signature = displacing.matcher_signature
            and attach_rules.contact_id = displacing.contact_id
            and displacing.match_number
            = attach_rules.match_number + cast(attach_rules.max_count as {{ dbt.type_bigint() }})
    where attach_rules.rule_type = 'event' and coalesce(attach_rules.max_count, 0) > 1

),

find_resets_after as (

    select
        find_displacements.*,
        build_reset_intervals.reset_at_us as reset_after_us
    from find_displacements
    left join build_reset_intervals
        on
            find_displacements.model_id = build_reset_intervals.model_id
            and find_displacements.contact_id = build_reset_intervals.contact_id
            and find_displacements.occurred_at_us >= build_reset_intervals.previous_reset_at_us
            and find_displacements.occurred_at_us < build_reset_intervals.reset_at_us

),

compute_removals as (

    -- removed_at_us: when the match stops counting (end of time: never).
    select
        model_id,
        rule_id,
        rule_type,
        decay,
        decay_days,
        decay_factor,
        contact_id,
        occurred_at,
        occurred_at_us,
        least(
            coalesce(
                case
                    when rule_type = 'event' and window_days is not null
                        then occurred_at_us + cast(round(window_days * {{ micros_per_day }}) as {{ dbt.type_bigint() }})
                    when rule_type = 'frequency'
                        then occurred_at_us + cast(round(within_days * {{ micros_per_day }}) as {{ dbt.type_bigint() }})
                end,
                {{ end_of_time }}
            ),
            coalesce(displaced_at_us, {{ end_of_time }}),
            coalesce(reset_after_us, {{ end_of_time }})
        ) as removed_at_us
    from find_resets_after
    where rule_type in ('event', 'frequency')

),

find_step_ages as (

    -- Matches that count at some score time, with their age in steps of
    -- decay at the first score time and just before their removal.
    select
        compute_removals.*,
        case
            when compute_removals.decay = 'step' and compute_removals.occurred_at_us < grid.first_scored_at_us
                then floor(
                        cast(grid.first_scored_at_us - compute_removals.occurred_at_us as {{ type_double() }})
                        / {{ micros_per_day }} / compute_removals.decay_days
                    )
            else 0
        end as first_step,
        case
            when compute_removals.decay = 'step'
                then least(
                        floor(
                            cast(grid.last_scored_at_us - compute_removals.occurred_at_us as {{ type_double() }})
                            / {{ micros_per_day }} / compute_removals.decay_days
                        ),
                        ceil(
                            cast(
                                compute_removals.removed_at_us - compute_removals.occurred_at_us as {{ type_double() }}
                            )
                            / {{ micros_per_day }} / compute_removals.decay_days
                        ) - 1
                    )
            else 0
        end as last_step,
        case
            when compute_removals.decay = 'exponential'
                then power(
                        compute_removals.decay_factor,
                        cast(grid.last_scored_at_us - compute_removals.occurred_at_us as {{ type_double() }})
                        / {{ micros_per_day }} / compute_removals.decay_days
                    )
        end as latest_weight,
        grid.last_scored_at_us
    from compute_removals
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
        *,
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

find_most_steps as (

    -- The most steps of decay any sequenced rule takes over the score times
    -- (int_sequenced_rules keeps it at most 100). Joins, not scalar or IN
    -- subqueries, here: Spark serializes a subquery's plan into its tasks,
    -- which fails when the plan holds a union (ClassCastException on
    -- UnionExec.children, seen with the unit tests' literal inputs).
    select coalesce(max(ceil(grid.span_days / step_rules.decay_days)) + 1, 0) as most_steps
    from sequenced_rules as step_rules
    cross join measure_grid_span as grid
    where step_rules.decay = 'step'

),

step_offsets as (

    -- 1, 2, ... up to the most steps.
    select list_integers.n as step_offset
    from list_integers
    cross join find_most_steps
    where list_integers.n <= find_most_steps.most_steps

),

list_changes as (

    -- A match starts counting ...
    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        occurred_at_us as changed_at_us,
        1 as hits_change,
        start_weight as weight_change
    from keep_reachable_matches

    union all

    -- ... and stops counting ...
    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        removed_at_us as changed_at_us,
        -1 as hits_change,
        -1 * end_weight as weight_change
    from keep_reachable_matches
    where removed_at_us <= last_scored_at_us

    union all

    -- ... and (step decay) loses a step at occurred_at + k * decay_days.
    select
        keep_reachable_matches.model_id,
        keep_reachable_matches.rule_id,
        keep_reachable_matches.rule_type,
        keep_reachable_matches.contact_id,
        keep_reachable_matches.occurred_at_us
        + cast(
            round(
                (keep_reachable_matches.first_step + step_offsets.step_offset)
                * keep_reachable_matches.decay_days * {{ micros_per_day }}
            ) as {{ dbt.type_bigint() }}
        ) as changed_at_us,
        0 as hits_change,
        power(keep_reachable_matches.decay_factor, keep_reachable_matches.first_step + step_offsets.step_offset)
        - power(keep_reachable_matches.decay_factor, keep_reachable_matches.first_step + step_offsets.step_offset - 1)
            as weight_change
    from keep_reachable_matches
    inner join step_offsets
        on step_offsets.step_offset <= keep_reachable_matches.last_step - keep_reachable_matches.first_step
    where keep_reachable_matches.decay = 'step'

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
        model_id,
        rule_id,
        rule_type,
        contact_id,
        score_time_index,
        sum(hits_change) as hits_change,
        {{ deterministic_sum('weight_change') }} as weight_change
    from assign_score_times
    group by model_id, rule_id, rule_type, contact_id, score_time_index

),

accumulate_changes as (

    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        score_time_index,
        lead(score_time_index) over (
            partition by model_id, rule_id, contact_id
            order by score_time_index
        ) as next_score_time_index,
        sum(hits_change) over (
            partition by model_id, rule_id, contact_id
            order by score_time_index
            rows between unbounded preceding and current row
        ) as hits,
        {{ deterministic_sum(
            'weight_change',
            'partition by model_id, rule_id, contact_id order by score_time_index rows between unbounded preceding and current row'
        ) }} as hit_weight
    from sum_changes

),

list_inactivity_matchers as (

    select distinct matcher_signature
    from sequenced_rules
    where rule_type = 'inactivity'

),

find_latest_inactivity_matches as (

    -- Inactivity rules read the latest match: per matcher (the models'
    -- inactivity rules often share one), contact and score time, the latest
    -- match first seen there.
    select
        match_sequences.matcher_signature,
        match_sequences.contact_id,
        coalesce(map_days_to_score_times.score_time_index, 1) as score_time_index,
        max(match_sequences.occurred_at) as last_matched_at
    from match_sequences
    inner join list_inactivity_matchers
        on match_sequences.matcher_signature = list_inactivity_matchers.matcher_signature
    cross join find_grid_bounds as grid
    left join map_days_to_score_times
        on
            {{ epoch_day('match_sequences.occurred_at_us') }}
            = map_days_to_score_times.day_number
            and match_sequences.occurred_at_us > map_days_to_score_times.previous_scored_at_us
            and match_sequences.occurred_at_us <= map_days_to_score_times.scored_at_us
    where match_sequences.occurred_at_us <= grid.last_scored_at_us
    group by
        match_sequences.matcher_signature,
        match_sequences.contact_id,
        coalesce(map_days_to_score_times.score_time_index, 1)

),

accumulate_inactivity as (

    select
        matcher_signature,
        contact_id,
        score_time_index,
        lead(score_time_index) over (
            partition by matcher_signature, contact_id
            order by score_time_index
        ) as next_score_time_index,
        max(last_matched_at) over (
            partition by matcher_signature, contact_id
            order by score_time_index
            rows between unbounded preceding and current row
        ) as last_matched_at
    from find_latest_inactivity_matches

),

combine_states as (

    -- A state without counted matches scores nothing (it only ends the
    -- state before it).
    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        score_time_index,
        next_score_time_index,
        hits,
        hit_weight,
        cast(null as {{ dbt.type_timestamp() }}) as last_matched_at
    from accumulate_changes
    where hits > 0

    union all

    select
        sequenced_rules.model_id,
        sequenced_rules.rule_id,
        sequenced_rules.rule_type,
        accumulate_inactivity.contact_id,
        accumulate_inactivity.score_time_index,
        accumulate_inactivity.next_score_time_index,
        0 as hits,
        0 as hit_weight,
        accumulate_inactivity.last_matched_at
    from accumulate_inactivity
    inner join sequenced_rules
        on accumulate_inactivity.matcher_signature = sequenced_rules.matcher_signature
    where sequenced_rules.rule_type = 'inactivity'

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
