{#- The attribute fields rules can name, as text, one row per holder and
    field. Standard columns come first; a custom property with the name of a
    standard column is ignored. -#}
{%- set contact_fields = {
    'contact_id': 'contact_id',
    'email': 'email',
    'email_domain': 'email_domain',
    'is_free_email': boolean_as_text('is_free_email'),
    'first_name': 'first_name',
    'last_name': 'last_name',
    'job_title': 'job_title',
    'phone': 'phone',
    'country': 'country',
    'company_id': 'company_id',
    'lead_source': 'lead_source',
    'lifecycle_stage': 'lifecycle_stage',
    'owner_id': 'owner_id',
    'created_at': 'cast(created_at as ' ~ dbt.type_string() ~ ')',
} -%}
{%- set company_fields = {
    'company_id': 'company_id',
    'name': 'company_name',
    'domain': 'domain',
    'industry': 'industry',
    'employee_count': number_as_text('employee_count'),
    'annual_revenue': number_as_text('annual_revenue'),
    'country': 'country',
} -%}
{%- set contact_field_list = "'" ~ contact_fields.keys() | join("', '") ~ "'" -%}
{%- set company_field_list = "'" ~ company_fields.keys() | join("', '") ~ "'" -%}

with

contacts as (

    select
        contact_id,
        email,
        email_domain,
        is_free_email,
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
    from {{ ref('stg_crm__contacts') }}

),

companies as (

    select
        company_id,
        company_name,
        domain,
        industry,
        employee_count,
        annual_revenue,
        country
    from {{ ref('stg_crm__companies') }}

),

contact_properties as (

    select
        contact_id,
        property,
        property_value
    from {{ ref('stg_crm__contact_properties') }}

),

company_properties as (

    select
        company_id,
        property,
        property_value
    from {{ ref('stg_crm__company_properties') }}

),

unpivot_contacts as (

    {% for field_name, expression in contact_fields.items() %}
        select
            'contact' as holder_type,
            contact_id as holder_id,
            '{{ field_name }}' as field_name,
            cast({{ expression }} as {{ dbt.type_string() }}) as field_value
        from contacts
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

unpivot_companies as (

    {% for field_name, expression in company_fields.items() %}
        select
            'company' as holder_type,
            company_id as holder_id,
            '{{ field_name }}' as field_name,
            cast({{ expression }} as {{ dbt.type_string() }}) as field_value
        from companies
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

custom_contact_properties as (

    select
        'contact' as holder_type,
        contact_id as holder_id,
        property as field_name,
        property_value as field_value
    from contact_properties
    where property not in ({{ contact_field_list }})

),

custom_company_properties as (

    select
        'company' as holder_type,
        company_id as holder_id,
        property as field_name,
        property_value as field_value
    from company_properties
    where property not in ({{ company_field_list }})

),

final as (

    select * from unpivot_contacts
    union all
    select * from unpivot_companies
    union all
    select * from custom_contact_properties
    union all
    select * from custom_company_properties

)

select * from final
