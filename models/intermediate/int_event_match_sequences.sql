{{ config(
    materialized=incremental_materialization(),
    unique_key=['matcher_signature', 'contact_id'],
    incremental_strategy='replace_tails',
    tail_column='match_number',
    on_schema_change='sync_all_columns',
    pre_hook="{{ forget_stale_match_sequences() }}",
) }}

-- The matches of each matcher and contact in order: match_number (oldest
-- first; ties in occurred_at by event_id, as recency ranks them) and the next
-- match's time. Independent of the score time (matches after T are here;
-- int_entity_event_matches leaves them out, and a later match only ever
-- displaces an earlier one from its own occurred_at on).
--
-- Incremental (docs/performance.md): a run reads the matches added since
-- sequenced_through (the newest int_event_rule_matches.matched_through it
-- has read). A pair whose new matches all come after its stored latest match
-- (by occurred_at, then event_id: the usual day) is extended: its latest
-- stored match is written again with its new next_occurred_at, followed by
-- the new ones, numbered on from it. Other touched pairs are renumbered
-- whole: a pair that gained an earlier (late) match, or held an event that
-- was loaded again (a re-delivered event may have moved or gone; such a
-- pair also gets a row without event_id, so it is replaced even if no match
-- is left). The replace_tails strategy deletes, per pair, the stored rows
-- from the smallest match_number written on (the whole pair for a marker).

-- depends_on: {{ ref('stg_crm__events') }}
-- depends_on: {{ ref('int_event_rule_signatures') }}

{%- set matches_relation = ref('int_event_rule_matches') %}
{%- set read_all = incremental_rebuild_required(matches_relation, 'matched_through', 'sequenced_through') %}
{#- The watermark before this run, queried once and written in as a literal
    (a typed null on a rebuild), so reading the new matches skips the row
    groups of older runs instead of filtering every match through a join. -#}
{%- set watermark = previous_watermark('sequenced_through', read_all) %}

with

event_matches as (

    select
        matcher_signature,
        contact_id,
        event_id,
        occurred_at
    from {{ matches_relation }}
    where event_id is not null

),

recent_matches as (

    -- The matches again, read on their own with their load watermark.
    select
        matcher_signature,
        contact_id,
        event_id,
        occurred_at,
        matched_through
    from {{ matches_relation }}
    where
        event_id is not null
        -- every match on a rebuild
        and {{ '1 = 1' if read_all else 'matched_through > ' ~ watermark }}

),

find_watermark as (

    select
        {{ watermark }} as previous_watermark,
        max(matched_through) as sequenced_through
    from {{ matches_relation }}

),

find_changed_groups as (

    -- Pairs that held an event loaded again since the watermark.
    {{ stored_groups_with_reloaded_events(read_all) }}

),

stored_latest_matches as (

    -- The latest stored match of each pair (none on a rebuild).
    {{ stored_latest_sequence_rows(read_all) }}

),

filter_new_matches as (

    select
        recent_matches.matcher_signature,
        recent_matches.contact_id,
        recent_matches.event_id,
        recent_matches.occurred_at
    from recent_matches
    cross join find_watermark
    -- None on a rebuild (no previous watermark): every pair is numbered
    -- whole below.
    where recent_matches.matched_through > find_watermark.previous_watermark

),

list_touched_groups as (

    select distinct
        matcher_signature,
        contact_id
    from filter_new_matches

),

touched_latest_matches as (

    select
        stored_latest_matches.matcher_signature,
        stored_latest_matches.contact_id,
        stored_latest_matches.event_id,
        stored_latest_matches.occurred_at,
        stored_latest_matches.match_number
    from stored_latest_matches
    inner join list_touched_groups
        on
            stored_latest_matches.matcher_signature = list_touched_groups.matcher_signature
            and stored_latest_matches.contact_id = list_touched_groups.contact_id

),

classify_touched_groups as (

    -- Each pair with new matches: extended when its stored latest match
    -- comes before every new one and none of its events was loaded again;
    -- else renumbered whole.
    select
        filter_new_matches.matcher_signature,
        filter_new_matches.contact_id,
        case
            when
                min(touched_latest_matches.match_number) is not null
                and min(find_changed_groups.contact_id) is null
                and sum(
                    case
                        when
                            filter_new_matches.occurred_at > touched_latest_matches.occurred_at
                            or (
                                filter_new_matches.occurred_at = touched_latest_matches.occurred_at
                                and filter_new_matches.event_id > touched_latest_matches.event_id
                            )
                            then 0
                        else 1
                    end
                ) = 0
                then min(touched_latest_matches.match_number)
        end as extended_from_number
    from filter_new_matches
    left join touched_latest_matches
        on
            filter_new_matches.matcher_signature = touched_latest_matches.matcher_signature
            and filter_new_matches.contact_id = touched_latest_matches.contact_id
    left join find_changed_groups
        on
            filter_new_matches.matcher_signature = find_changed_groups.matcher_signature
            and filter_new_matches.contact_id = find_changed_groups.contact_id
    group by
        filter_new_matches.matcher_signature,
        filter_new_matches.contact_id

),

{%- if not read_all %}

list_renumbered_groups as (

    select
        matcher_signature,
        contact_id
    from classify_touched_groups
    where extended_from_number is null

    union

    select
        matcher_signature,
        contact_id
    from find_changed_groups

),
{%- endif %}

collect_renumbered_matches as (

    -- Every match of a pair renumbered whole (of every pair on a rebuild:
    -- there is no stored pair then), numbered from 1.
    select
        event_matches.matcher_signature,
        event_matches.contact_id,
        event_matches.event_id,
        event_matches.occurred_at,
        cast(0 as {{ dbt.type_bigint() }}) as numbered_after
    from event_matches
    {%- if not read_all %}
    -- An inner join: with no pair to renumber (the usual day) the engine
    -- reads no stored match; as a left join and a filter, every one.
    inner join list_renumbered_groups
        on
            event_matches.matcher_signature = list_renumbered_groups.matcher_signature
            and event_matches.contact_id = list_renumbered_groups.contact_id
    {%- endif %}

),

collect_extended_matches as (

    -- An extended pair's latest stored match and its new ones, numbered on
    -- from the stored one's number.
    select
        touched_latest_matches.matcher_signature,
        touched_latest_matches.contact_id,
        touched_latest_matches.event_id,
        touched_latest_matches.occurred_at,
        classify_touched_groups.extended_from_number - 1 as numbered_after
    from touched_latest_matches
    inner join classify_touched_groups
        on
            touched_latest_matches.matcher_signature = classify_touched_groups.matcher_signature
            and touched_latest_matches.contact_id = classify_touched_groups.contact_id
    where classify_touched_groups.extended_from_number is not null

    union all

    select
        filter_new_matches.matcher_signature,
        filter_new_matches.contact_id,
        filter_new_matches.event_id,
        filter_new_matches.occurred_at,
        classify_touched_groups.extended_from_number - 1 as numbered_after
    from filter_new_matches
    inner join classify_touched_groups
        on
            filter_new_matches.matcher_signature = classify_touched_groups.matcher_signature
            and filter_new_matches.contact_id = classify_touched_groups.contact_id
    where classify_touched_groups.extended_from_number is not null

),

combine_matches as (

    select * from collect_renumbered_matches

    union all

    select * from collect_extended_matches

),

number_matches as (

    select
        matcher_signature,
        contact_id,
        event_id,
        occurred_at,
        numbered_after + row_number() over (
            partition by matcher_signature, contact_id
            order by occurred_at, event_id
        ) as match_number,
        lead(occurred_at) over (
            partition by matcher_signature, contact_id
            order by occurred_at, event_id
        ) as next_occurred_at
    from combine_matches

),

combine_rows as (

    select
        number_matches.*,
        find_watermark.sequenced_through
    from number_matches
    cross join find_watermark

    union all

    select
        find_changed_groups.matcher_signature,
        find_changed_groups.contact_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(null as {{ dbt.type_bigint() }}) as match_number,
        cast(null as {{ dbt.type_timestamp() }}) as next_occurred_at,
        find_watermark.sequenced_through
    from find_changed_groups
    cross join find_watermark

),

final as (

    select * from combine_rows

)

select * from final
