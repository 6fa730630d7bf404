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
        -- Negative counts and amounts are unknown (listed in stg_crm__row_issues).
        {{ non_negative_or_null('cast(employee_count as ' ~ dbt.type_bigint() ~ ')') }} as employee_count,
        {{ non_negative_or_null('cast(annual_revenue as ' ~ type_double() ~ ')') }} as annual_revenue,
        {{ clean_text('country') }} as country
    from companies
    where {{ clean_text('company_id') }} is not null

)

select * from final
