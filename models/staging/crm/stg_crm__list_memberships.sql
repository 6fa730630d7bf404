{%- set memberships_source = source('crm', 'list_memberships') -%}

with

list_memberships as (

    select
        list_name,
        contact_id,
        {{ optional_source_column(memberships_source, 'added_at', dbt.type_timestamp()) }} as added_at
    from {{ memberships_source }}

),

cleaned as (

    select
        {{ normalized_text('list_name') }} as list_key,
        {{ clean_text('contact_id') }} as contact_id,
        cast(added_at as {{ dbt.type_timestamp() }}) as added_at
    from list_memberships

),

final as (

    -- List names compare trimmed and case-insensitively: list_key is the
    -- normalised name that include_list / exclude_list are matched against.
    -- A contact is a member from added_at on; a membership without added_at
    -- (or any of several rows without it) means a member all along.
    select
        list_key,
        contact_id,
        case
            when count(*) > count(added_at) then null
            else min(added_at)
        end as added_at
    from cleaned
    where
        list_key is not null
        and contact_id is not null
    group by list_key, contact_id

)

select * from final
