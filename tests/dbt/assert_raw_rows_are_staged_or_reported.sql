{#-
    Nothing is dropped silently between raw and staging: for every raw table
    that staging keeps one row per key of, raw rows = staged rows + rows
    listed as excluded in stg_crm__row_issues (+ for events, the superseded
    versions of re-delivered event_ids). Returns the tables where the
    numbers do not add up, or where a valid raw event_id is not staged.

    Events are checked for the loads of stg_crm__events' latest run (the
    raw rows loaded after watermark_before_latest_run, against the staged
    rows that run wrote), so a daily build does not count every raw event
    again; each run checks its own loads, and a rebuild, --full-refresh or
    the var test_whole_tables check them all. The other raw tables are
    replaced by every load and checked whole.
-#}
{%- set new_loads_only = not test_whole_tables() -%}
{%- if new_loads_only -%}
    {%- set events_watermark = queried_timestamp_literal('select ' ~ watermark_before_latest_run(ref('stg_crm__events'), 'staged_through')) -%}
{%- endif -%}

with

raw_events as (

    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('contact_id') }} is not null
        and {{ normalized_text('event_type') }} is not null
        and occurred_at is not null as is_complete
    from {{ rows_loaded_after(
        source('crm', 'events'),
        ['event_id', 'contact_id', 'event_type', 'occurred_at'],
        events_watermark if new_loads_only else none
    ) }}

),

staged_events as (

    select event_id
    from {{ ref('stg_crm__events') }}
    {%- if new_loads_only %}
    where coalesce(staged_through > {{ events_watermark }}, true)
    {%- endif %}

),

raw_counts as (

    {%- for table_name in ['contacts', 'companies', 'deals'] %}
    select
        '{{ table_name }}' as table_name,
        count(*) as raw_rows
    from {{ source('crm', table_name) }}

    union all
    {%- endfor %}

    select
        'events' as table_name,
        count(*) as raw_rows
    from raw_events

),

staged_counts as (

    {%- for table_name in ['contacts', 'companies', 'deals'] %}
    select
        '{{ table_name }}' as table_name,
        count(*) as staged_rows
    from {{ ref('stg_crm__' ~ table_name) }}

    union all
    {%- endfor %}

    select
        'events' as table_name,
        count(*) as staged_rows
    from staged_events

),

excluded_counts as (

    select
        table_name,
        count(*) as excluded_rows
    from {{ ref('stg_crm__row_issues') }}
    where
        handling = 'excluded: not scored'
        {%- if new_loads_only %}
        and (table_name <> 'events' or coalesce(loaded_at > {{ events_watermark }}, true))
        {%- endif %}
    group by table_name

),

superseded_counts as (

    -- Versions of a re-delivered event_id that lost to its latest version.
    select
        'events' as table_name,
        count(*) - count(distinct event_id) as superseded_rows
    from raw_events
    where event_id is not null and is_complete

),

find_unstaged_events as (

    -- Valid raw event_ids of these loads that staging does not hold.
    select
        'events' as table_name,
        count(distinct raw_events.event_id) as unstaged_ids
    from raw_events
    left join staged_events
        on raw_events.event_id = staged_events.event_id
    where
        raw_events.event_id is not null
        and raw_events.is_complete
        and staged_events.event_id is null

),

final as (

    select
        raw_counts.table_name,
        raw_counts.raw_rows,
        staged_counts.staged_rows,
        coalesce(excluded_counts.excluded_rows, 0) as excluded_rows,
        coalesce(superseded_counts.superseded_rows, 0) as superseded_rows,
        coalesce(find_unstaged_events.unstaged_ids, 0) as unstaged_ids
    from raw_counts
    inner join staged_counts
        on raw_counts.table_name = staged_counts.table_name
    left join excluded_counts
        on raw_counts.table_name = excluded_counts.table_name
    left join superseded_counts
        on raw_counts.table_name = superseded_counts.table_name
    left join find_unstaged_events
        on raw_counts.table_name = find_unstaged_events.table_name
    where
        raw_counts.raw_rows
        != staged_counts.staged_rows
        + coalesce(excluded_counts.excluded_rows, 0)
        + coalesce(superseded_counts.superseded_rows, 0)
        or coalesce(find_unstaged_events.unstaged_ids, 0) > 0

)

select * from final
