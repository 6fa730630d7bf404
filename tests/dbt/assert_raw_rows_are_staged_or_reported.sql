{#-
    Nothing is dropped silently between raw and staging: for every raw table
    that staging keeps one row per key of, raw rows = staged rows + rows
    listed as excluded in stg_crm__row_issues (+ for events, the superseded
    versions of re-delivered event_ids). Returns the tables where the
    numbers do not add up.
-#}

with

raw_counts as (

    {%- for table_name in ['contacts', 'companies', 'events', 'deals'] %}
    select
        '{{ table_name }}' as table_name,
        count(*) as raw_rows
    from {{ source('crm', table_name) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

staged_counts as (

    {%- for table_name in ['contacts', 'companies', 'events', 'deals'] %}
    select
        '{{ table_name }}' as table_name,
        count(*) as staged_rows
    from {{ ref('stg_crm__' ~ table_name) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

excluded_counts as (

    select
        table_name,
        count(*) as excluded_rows
    from {{ ref('stg_crm__row_issues') }}
    where handling = 'excluded: not scored'
    group by table_name

),

superseded_counts as (

    -- Versions of a re-delivered event_id that lost to its latest version.
    select
        'events' as table_name,
        count(*) - count(distinct {{ clean_text('event_id') }}) as superseded_rows
    from {{ source('crm', 'events') }}
    where
        {{ clean_text('event_id') }} is not null
        and {{ clean_text('contact_id') }} is not null
        and {{ normalized_text('event_type') }} is not null
        and occurred_at is not null

),

final as (

    select
        raw_counts.table_name,
        raw_counts.raw_rows,
        staged_counts.staged_rows,
        coalesce(excluded_counts.excluded_rows, 0) as excluded_rows,
        coalesce(superseded_counts.superseded_rows, 0) as superseded_rows
    from raw_counts
    inner join staged_counts
        on raw_counts.table_name = staged_counts.table_name
    left join excluded_counts
        on raw_counts.table_name = excluded_counts.table_name
    left join superseded_counts
        on raw_counts.table_name = superseded_counts.table_name
    where
        raw_counts.raw_rows
        != staged_counts.staged_rows
        + coalesce(excluded_counts.excluded_rows, 0)
        + coalesce(superseded_counts.superseded_rows, 0)

)

select * from final
