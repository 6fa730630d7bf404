with

deals as (

    select
        deal_id,
        company_id,
        contact_id,
        created_at,
        closed_at,
        stage,
        amount,
        is_won
    from {{ source('crm', 'deals') }}

),

final as (

    select
        {{ clean_text('deal_id') }} as deal_id,
        {{ clean_text('company_id') }} as company_id,
        {{ clean_text('contact_id') }} as contact_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(closed_at as {{ dbt.type_timestamp() }}) as closed_at,
        {{ clean_text('stage') }} as stage,
        cast(amount as {{ type_double() }}) as amount,
        coalesce(cast(is_won as {{ dbt.type_boolean() }}), false) as is_won
    from deals
    where {{ clean_text('deal_id') }} is not null

)

select * from final
