with

companies as (

    select
        company_id,
        name,
        domain,
        industry,
        employee_count,
        annual_revenue,
        country
    from {{ source('crm', 'companies') }}

),

final as (

    select
        {{ clean_text('company_id') }} as company_id,
        {{ clean_text('name') }} as company_name,
        {{ normalized_text('domain') }} as domain,
        {{ clean_text('industry') }} as industry,
        cast(employee_count as bigint) as employee_count,
        cast(annual_revenue as {{ type_double() }}) as annual_revenue,
        {{ clean_text('country') }} as country
    from companies
    where {{ clean_text('company_id') }} is not null

)

select * from final
