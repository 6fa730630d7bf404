with

list_memberships as (

    select
        list_name,
        contact_id
    from {{ source('crm', 'list_memberships') }}

),

final as (

    -- List names compare trimmed and case-insensitively: list_key is the
    -- normalised name that include_list / exclude_list are matched against.
    select distinct
        {{ normalized_text('list_name') }} as list_key,
        {{ clean_text('contact_id') }} as contact_id
    from list_memberships
    where
        {{ normalized_text('list_name') }} is not null
        and {{ clean_text('contact_id') }} is not null

)

select * from final
