-- Whole-table reconciliation of the two incremental match models (docs:
-- "Tests that scale"): their key tests check only the rows the latest run
-- wrote, so this checks every row cheaply. Per matcher, int_event_match_sequences
-- holds exactly the matches of int_event_rule_matches: a match lost, kept
-- twice or left behind by a run (in either model) changes a count. And each
-- pair is numbered 1..n without gaps: the latest match of a pair (no next
-- match) has number n, so the latest numbers sum to the matcher's count (a
-- run that extended a pair from a wrong number changes the sum). Rows
-- returned are matchers whose counts differ.

with

matched as (

    select
        matcher_signature,
        count(*) as matches
    from {{ ref('int_event_rule_matches') }}
    where event_id is not null
    group by matcher_signature

),

sequenced as (

    select
        matcher_signature,
        count(*) as matches,
        sum(case when next_occurred_at is null then match_number else 0 end) as latest_numbers
    from {{ ref('int_event_match_sequences') }}
    where event_id is not null
    group by matcher_signature

),

compare_counts as (

    select
        coalesce(matched.matcher_signature, sequenced.matcher_signature) as matcher_signature,
        coalesce(matched.matches, 0) as matched_events,
        coalesce(sequenced.matches, 0) as sequenced_events,
        coalesce(sequenced.latest_numbers, 0) as latest_numbers
    from matched
    full outer join sequenced
        on matched.matcher_signature = sequenced.matcher_signature

),

final as (

    select *
    from compare_counts
    where
        matched_events <> sequenced_events
        or latest_numbers <> sequenced_events

)

select * from final
