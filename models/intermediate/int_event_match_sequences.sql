{{ config(
    materialized=incremental_materialization(),
    unique_key=['matcher_signature', 'contact_id'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ forget_stale_match_sequences() }}",
) }}

-- The matches of each matcher and contact in order: match_number (oldest
-- first; ties in occurred_at by event_id, as recency ranks them) and the next
-- match's time. Independent of the score time (matches after T are here;
-- int_entity_event_matches leaves them out, and a later match only ever
-- displaces an earlier one from its own occurred_at on).
--
-- Incremental (docs/performance.md): a run renumbers only the matcher and
-- contact pairs that gained a match since sequenced_through (the newest
-- int_event_rule_matches.matched_through it has read) or held an event that
-- was loaded again (a re-delivered event may have moved or gone); those
-- pairs are replaced whole. A pair that held a re-delivered event also gets a
-- row without event_id, so it is replaced even if no match is left.

-- depends_on: {{ ref('stg_crm__events') }}
-- depends_on: {{ ref('int_event_rule_signatures') }}

{%- set matches_relation = ref('int_event_rule_matches') %}
{%- set read_all = incremental_rebuild_required(matches_relation, 'matched_through', 'sequenced_through') %}

with

event_matches as (

    select
        matcher_signature,
        contact_id,
        event_id,
        occurred_at,
        matched_through
    from {{ matches_relation }}
    where event_id is not null

),

find_watermark as (

    select
        {{ previous_watermark('sequenced_through', read_all) }} as previous_watermark,
        max(matched_through) as sequenced_through
    from {{ matches_relation }}

),

find_changed_groups as (

    -- Pairs that held an event loaded again since the watermark.
    {{ stored_groups_with_reloaded_events(read_all) }}

),

find_touched_groups as (

    select distinct
        event_matches.matcher_signature,
        event_matches.contact_id
    from event_matches
    cross join find_watermark
    where
        find_watermark.previous_watermark is null
        or event_matches.matched_through > find_watermark.previous_watermark

    union

    select
        matcher_signature,
        contact_id
    from find_changed_groups

),

number_matches as (

    select
        event_matches.matcher_signature,
        event_matches.contact_id,
        event_matches.event_id,
        event_matches.occurred_at,
        row_number() over (
            partition by event_matches.matcher_signature, event_matches.contact_id
            order by event_matches.occurred_at, event_matches.event_id
        ) as match_number,
        lead(event_matches.occurred_at) over (
            partition by event_matches.matcher_signature, event_matches.contact_id
            order by event_matches.occurred_at, event_matches.event_id
        ) as next_occurred_at
    from event_matches
    inner join find_touched_groups
        on
            event_matches.matcher_signature = find_touched_groups.matcher_signature
            and event_matches.contact_id = find_touched_groups.contact_id

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
