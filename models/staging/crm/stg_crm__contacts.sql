with

contacts as (

    select
        contact_id,
        email,
        first_name,
        last_name,
        job_title,
        phone,
        country,
        company_id,
        lead_source,
        lifecycle_stage,
        owner_id,
        created_at
    from {{ source('crm', 'contacts') }}

),

free_email_domains as (

    select distinct {{ normalized_text('domain') }} as email_domain
    from {{ ref('free_email_domains') }}

),

cleaned as (

    select
        {{ clean_text('contact_id') }} as contact_id,
        -- An address without exactly one @, or with nothing before or after
        -- it, is no address: null (listed in stg_crm__row_issues).
        case
            when {{ is_valid_email(normalized_text('email')) }} then {{ normalized_text('email') }}
        end as email,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('job_title') }} as job_title,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('country') }} as country,
        {{ clean_text('company_id') }} as company_id,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('lifecycle_stage') }} as lifecycle_stage,
        {{ clean_text('owner_id') }} as owner_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at
    from contacts

),

derive_email_domain as (

    select
        *,
        {{ normalized_text(split_part_at('email', '@', 2)) }} as email_domain
    from cleaned
    where
        contact_id is not null
        and created_at is not null

),

final as (

    select
        derive_email_domain.contact_id,
        derive_email_domain.email,
        derive_email_domain.email_domain,
        derive_email_domain.first_name,
        derive_email_domain.last_name,
        derive_email_domain.job_title,
        derive_email_domain.phone,
        derive_email_domain.country,
        derive_email_domain.company_id,
        derive_email_domain.lead_source,
        derive_email_domain.lifecycle_stage,
        derive_email_domain.owner_id,
        derive_email_domain.created_at,
        case
            when derive_email_domain.email_domain is null then null
            when free_email_domains.email_domain is not null then true
            else false
        end as is_free_email
    from derive_email_domain
    left join free_email_domains
        on derive_email_domain.email_domain = free_email_domains.email_domain

)

select * from final
