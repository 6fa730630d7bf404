{{ config(
    materialized=incremental_materialization(),
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    pre_hook="{{ clear_for_rebuild(source('crm', 'events'), 'loaded_at', 'staged_through') }}",
) }}

{#-
    Incremental (docs/performance.md): a run reads the raw rows loaded
    after its watermark (staged_through: the newest raw loaded_at an earlier
    run has read), plus the stored rows of the event_ids they repeat, and
    replaces those event_ids with the winning version. Every row the run
    writes carries the run's watermark, so the data tests (and
    stg_crm__row_issues) can tell this run's rows and raw loads from the
    earlier ones. Raw tables without loaded_at, or replaced wholesale,
    rebuild.
-#}
{%- set events_source = source('crm', 'events') -%}
{%- set read_all = incremental_rebuild_required(events_source, 'loaded_at', 'staged_through') -%}

with

events as (

    select
        event_id,
        contact_id,
        event_type,
        occurred_at,
        url,
        detail,
        {{ optional_source_column(events_source, 'loaded_at', dbt.type_timestamp()) }} as loaded_at
    from {{ events_source }}
    {%- if not read_all %}
    where loaded_at > {{ incremental_watermark('staged_through') }}
    {%- endif %}

),

find_watermark as (

    -- This run's watermark: the newest raw row it reads, valid or not.
    select max(loaded_at) as staged_through
    from events

),

cleaned as (

    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ normalized_text('event_type') }} as event_type,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        {{ clean_text('url') }} as url,
        {{ clean_text('detail') }} as detail,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as first_loaded_at
    from events

),

{% if not read_all -%}
add_stored_versions as (

    -- The versions already stored for the event_ids this run sees again.
    select * from cleaned

    union all

    select
        stored.event_id,
        stored.contact_id,
        stored.event_type,
        stored.occurred_at,
        stored.url,
        stored.detail,
        stored.loaded_at,
        stored.first_loaded_at
    from {{ this }} as stored
    where stored.event_id in (select cleaned.event_id from cleaned)

),

{% endif -%}
rank_duplicates as (

    -- An event_id seen twice keeps its latest version (ties broken on the
    -- remaining columns, so the choice is deterministic; between identical
    -- versions the earliest load, so a re-delivered copy changes nothing).
    -- first_loaded_at: the earliest load of any version of the event_id.
    select
        event_id,
        contact_id,
        event_type,
        occurred_at,
        url,
        detail,
        loaded_at,
        min(first_loaded_at) over (partition by event_id) as first_loaded_at,
        row_number() over (
            partition by event_id
            order by
                occurred_at desc, event_type desc nulls last, url desc nulls last,
                detail desc nulls last, contact_id desc,
                loaded_at asc
        ) as duplicate_rank
    from {{ 'add_stored_versions' if not read_all else 'cleaned' }}
    where
        event_id is not null
        and contact_id is not null
        and event_type is not null
        and occurred_at is not null

),

final as (

    select
        rank_duplicates.event_id,
        rank_duplicates.contact_id,
        rank_duplicates.event_type,
        rank_duplicates.occurred_at,
        rank_duplicates.url,
        rank_duplicates.detail,
        rank_duplicates.loaded_at,
        rank_duplicates.first_loaded_at,
        cast(find_watermark.staged_through as {{ dbt.type_timestamp() }}) as staged_through
    from rank_duplicates
    cross join find_watermark
    where rank_duplicates.duplicate_rank = 1

)

select * from final
