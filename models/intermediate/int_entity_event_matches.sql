{{ config(materialized='table') }}

-- Rule matches that can count at each score time, attached to the entity of
-- an applicable contact, with their age. A match exists from its occurred_at
-- on, and can stop mattering before the end of time:
--   event rules: once it is window_days old, or once max_count later matches
--     of the same contact and rule displace it from the most recent ones;
--   frequency rules: once it is within_days old;
--   inactivity and reset rules: once a later match of the same contact and
--     rule exists (only the latest one is read).
-- Expanding each match only over the score times where it matters keeps
-- history and backtests from costing every event times every score time.
-- Rules scored from sequences (int_sequenced_rules, is_sequenced) are
-- expanded at T only, where they explain each hit; their history and
-- backtest values come from int_sequenced_rule_values.
-- Per contact this keeps a superset of what the entity's rule reads (a company
-- pools several contacts: int_event_rule_hits ranks the pooled hits again).

{%- set micros_per_day = 86400000000 %}
{%- set end_of_time = 253402300800000000 %}

with

score_times as (

    select
        scored_at,
        is_current,
        {{ epoch_microseconds('scored_at') }} as scored_at_us
    from {{ ref('int_score_times') }}

),

event_rules as (

    -- Sequenced frequency rules are read from int_rule_sequence_states only;
    -- other sequenced rules are expanded at T alone (for the explanation of
    -- each hit, int_event_rule_hits).
    select
        model_id,
        rule_id,
        rule_type,
        matcher_signature,
        max_count,
        window_days,
        within_days,
        is_sequenced
    from {{ ref('int_sequenced_rules') }}
    where not (is_sequenced and rule_type = 'frequency')

),

sequenced_matches as (

    -- Every match in its matcher and contact's order (a marker row without
    -- event_id is not a match).
    select
        matcher_signature,
        contact_id,
        event_id,
        occurred_at,
        match_number,
        {{ epoch_microseconds('occurred_at') }} as occurred_at_us,
        {{ epoch_microseconds('next_occurred_at') }} as next_occurred_at_us
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null

),

counted_matches as (

    -- The matches again, read on their own for the displacement join below
    -- (one shared CTE of every match would be kept in memory by engines that
    -- materialize a CTE read twice).
    select
        matcher_signature,
        contact_id,
        match_number,
        {{ epoch_microseconds('occurred_at') }} as occurred_at_us
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null

),

model_contacts as (

    select
        scored_at,
        model_id,
        contact_id,
        entity_id
    from {{ ref('int_model_contacts') }}

),

list_read_score_times as (

    -- The score times a rule's matches are expanded over: every one for an
    -- expanded rule, T alone for a sequenced rule. The flag makes the join
    -- below an equality join with range conditions, so a match of a
    -- sequenced rule meets one score time, not all of them.
    select
        scored_at,
        scored_at_us,
        false as is_for_sequenced
    from score_times

    union all

    select
        scored_at,
        scored_at_us,
        true as is_for_sequenced
    from score_times
    where is_current

),

find_first_score_time as (

    select min(scored_at_us) as first_scored_at_us
    from score_times

),

find_matcher_reach as (

    -- How long after it occurred any rule of a matcher can still read a
    -- match (a bound, before the exact per-rule end below): a window or
    -- within_days; or until the next match (inactivity, reset, event rules
    -- with max_count 1); or for ever (other event rules without a window).
    select
        matcher_signature,
        max(
            case
                when rule_type = 'event' and window_days is null and coalesce(max_count, 0) <> 1 then 1
                else 0
            end
        ) as is_unbounded,
        max(
            case
                when rule_type = 'frequency' then within_days
                when rule_type = 'event' then window_days
            end
        ) as max_days,
        max(
            case
                when rule_type in ('inactivity', 'reset') then 1
                when rule_type = 'event' and window_days is null and max_count = 1 then 1
                else 0
            end
        ) as is_read_until_next_match
    from event_rules
    group by matcher_signature

),

number_matches as (

    -- The matches some score time can read: at or before T, and not past
    -- their matcher's reach at the earliest score time. Cheap columns only,
    -- before the per-rule expansion. (A later match displaces an earlier
    -- one only from its own occurred_at on, so the numbering may include
    -- matches after T.)
    select sequenced_matches.*
    from sequenced_matches
    inner join find_matcher_reach
        on sequenced_matches.matcher_signature = find_matcher_reach.matcher_signature
    cross join find_first_score_time as first_score_time
    where
        sequenced_matches.occurred_at <= {{ as_of_timestamp() }}
        and (
            find_matcher_reach.is_unbounded = 1
            or sequenced_matches.occurred_at_us
            + coalesce(find_matcher_reach.max_days, 0) * {{ micros_per_day }}
            > first_score_time.first_scored_at_us
            or (
                find_matcher_reach.is_read_until_next_match = 1
                and coalesce(sequenced_matches.next_occurred_at_us, {{ end_of_time }})
                > first_score_time.first_scored_at_us
            )
        )

),

attach_rules as (

    select
        event_rules.model_id,
        event_rules.rule_id,
        event_rules.rule_type,
        event_rules.max_count,
        event_rules.window_days,
        event_rules.within_days,
        event_rules.is_sequenced,
        number_matches.matcher_signature,
        number_matches.contact_id,
        number_matches.event_id,
        number_matches.occurred_at,
        number_matches.occurred_at_us,
        number_matches.match_number,
        number_matches.next_occurred_at_us
    from number_matches
    inner join event_rules
        on number_matches.matcher_signature = event_rules.matcher_signature

),

list_counted_matchers as (

    -- Matchers of event rules with max_count > 1 (a join, not an IN
    -- subquery: Spark serializes a subquery's plan into its tasks).
    select distinct matcher_signature
    from event_rules
    where rule_type = 'event' and max_count > 1

),

displacing_candidates as (

    -- Matches of the matchers that have event rules with max_count > 1.
    select
        counted_matches.matcher_signature,
        counted_matches.contact_id,
        counted_matches.match_number,
        counted_matches.occurred_at_us
    from counted_matches
    inner join list_counted_matchers
        on counted_matches.matcher_signature = list_counted_matchers.matcher_signature

),

find_displacing_matches as (

    -- The later match that pushes this one out of what the rule reads: the
    -- next one for inactivity and reset rules and event rules with
    -- max_count 1; the max_count-th later one for other event rules with a
    -- max_count (an equality join on the numbering); none for frequency
    -- rules or without max_count.
    select
        attach_rules.*,
        case
            when attach_rules.rule_type in ('inactivity', 'reset')
                then attach_rules.next_occurred_at_us
            when attach_rules.rule_type = 'event' and attach_rules.max_count = 1
                then attach_rules.next_occurred_at_us
            when attach_rules.rule_type = 'event' and attach_rules.max_count > 1
                then displacing.occurred_at_us
        end as displaced_at_us
    from attach_rules
    left join displacing_candidates as displacing
        on
            attach_rules.matcher_signature = displacing.matcher_signature
            and attach_rules.contact_id = displacing.contact_id
            and displacing.match_number
            = attach_rules.match_number + cast(attach_rules.max_count as {{ dbt.type_bigint() }})

),

compute_relevance_ends as (

    -- relevant_until_us: the first score time (in microseconds) at which the
    -- match no longer matters.
    select
        model_id,
        rule_id,
        rule_type,
        is_sequenced,
        contact_id,
        event_id,
        occurred_at,
        occurred_at_us,
        case
            when rule_type = 'frequency'
                then occurred_at_us + within_days * {{ micros_per_day }}
            when
                rule_type = 'event'
                and window_days is not null
                and (
                    displaced_at_us is null
                    or displaced_at_us > occurred_at_us + window_days * {{ micros_per_day }}
                )
                then occurred_at_us + window_days * {{ micros_per_day }}
            when displaced_at_us is not null then displaced_at_us
            else {{ end_of_time }}
        end as relevant_until_us
    from find_displacing_matches

),

expand_over_score_times as (

    select
        list_read_score_times.scored_at,
        compute_relevance_ends.model_id,
        compute_relevance_ends.rule_id,
        compute_relevance_ends.rule_type,
        compute_relevance_ends.is_sequenced,
        compute_relevance_ends.contact_id,
        compute_relevance_ends.event_id,
        compute_relevance_ends.occurred_at
    from compute_relevance_ends
    inner join list_read_score_times
        on
            compute_relevance_ends.is_sequenced = list_read_score_times.is_for_sequenced
            and compute_relevance_ends.occurred_at_us <= list_read_score_times.scored_at_us
            and compute_relevance_ends.relevant_until_us > list_read_score_times.scored_at_us

),

attach_entities as (

    select
        expand_over_score_times.scored_at,
        expand_over_score_times.model_id,
        expand_over_score_times.rule_id,
        expand_over_score_times.rule_type,
        expand_over_score_times.is_sequenced,
        model_contacts.entity_id,
        expand_over_score_times.event_id,
        expand_over_score_times.occurred_at
    from expand_over_score_times
    inner join model_contacts
        on
            expand_over_score_times.scored_at = model_contacts.scored_at
            and expand_over_score_times.model_id = model_contacts.model_id
            and expand_over_score_times.contact_id = model_contacts.contact_id

),

final as (

    select
        *,
        {{ age_days('occurred_at', 'scored_at') }} as age_days
    from attach_entities

)

select * from final
