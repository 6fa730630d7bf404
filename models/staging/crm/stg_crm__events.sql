with

events as (

    select
        event_id,
        contact_id,
        event_type,
        occurred_at,
        url,
        detail
    from {{ source('crm', 'events') }}

),

cleaned as (

    select
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('contact_id') }} as contact_id,
        {{ normalized_text('event_type') }} as event_type,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        {{ clean_text('url') }} as url,
        {{ clean_text('detail') }} as detail
    from events

),

rank_duplicates as (

    -- An event_id seen twice keeps its latest version (ties broken on the
    -- remaining columns, so the choice is deterministic).
    select
        *,
        row_number() over (
            partition by event_id
            order by occurred_at desc, event_type desc, url desc, detail desc, contact_id desc
        ) as duplicate_rank
    from cleaned
    where
        event_id is not null
        and contact_id is not null
        and event_type is not null
        and occurred_at is not null

),

final as (

    select
        event_id,
        contact_id,
        event_type,
        occurred_at,
        url,
        detail
    from rank_duplicates
    where duplicate_rank = 1

)

select * from final
