{#-
    Every problem found in the raw data, one row each (README, "Bad raw
    data"): rows the loader rejected, rows staging left out, values staging
    repaired, and rows kept whose reference does not resolve (an event of a
    contact not in contacts, a contact of a company not in companies, ...),
    which are scored as soon as what they name arrives. Values that are
    personal data (an invalid email) go through personal_data().
-#}

with

load_rejects as (

    select
        table_name,
        source_file,
        row_number,
        issue,
        reason,
        loaded_at
    from {{ ref('stg_crm__load_rejects') }}

),

row_issues as (

    select
        table_name,
        record_id,
        column_name,
        issue,
        handling,
        detail
    from {{ ref('stg_crm__row_issues') }}

),

contacts as (

    select
        contact_id,
        company_id
    from {{ ref('stg_crm__contacts') }}

),

companies as (

    select company_id
    from {{ ref('stg_crm__companies') }}

),

events as (

    select
        event_id,
        contact_id
    from {{ ref('stg_crm__events') }}

),

deals as (

    select
        deal_id,
        company_id,
        contact_id
    from {{ ref('stg_crm__deals') }}

),

list_memberships as (

    select
        list_key,
        contact_id
    from {{ ref('stg_crm__list_memberships') }}

),

find_unresolved_references as (

    {#- (table, its key, the referencing column, the table it names, its key,
        what becomes of the row, the detail shown) -#}
    {%- set references = [
        ('events', 'event_id', 'contact_id', 'contacts', 'contact_id',
            'kept: scored once the contact is loaded', 'contact_id'),
        ('contacts', 'contact_id', 'company_id', 'companies', 'company_id',
            'kept: company fields are null until the company is loaded', 'company_id'),
        ('deals', 'deal_id', 'company_id', 'companies', 'company_id', 'kept', 'company_id'),
        ('deals', 'deal_id', 'contact_id', 'contacts', 'contact_id', 'kept', 'contact_id'),
        ('list_memberships', 'contact_id', 'contact_id', 'contacts', 'contact_id',
            'kept: applies once the contact is loaded', 'list_key'),
    ] %}
    {%- for table_name, record_key, column_name, parent, parent_key, handling, detail in references %}
        select
            '{{ table_name }}' as table_name,
            {{ table_name }}.{{ record_key }} as record_id,
            '{{ column_name }}' as column_name,
            'unknown {{ column_name }}' as issue,
            '{{ handling }}' as handling,
            {{ table_name }}.{{ detail }} as detail
        from {{ table_name }}
        left join {{ parent }} as referenced
            on {{ table_name }}.{{ column_name }} = referenced.{{ parent_key }}
        where
            {{ table_name }}.{{ column_name }} is not null
            and referenced.{{ parent_key }} is null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

combine_issues as (

    select
        table_name,
        cast(null as {{ dbt.type_string() }}) as record_id,
        cast(null as {{ dbt.type_string() }}) as column_name,
        issue,
        'rejected by the loader' as handling,
        reason as detail,
        'loader' as detected_by,
        source_file,
        row_number,
        loaded_at
    from load_rejects

    union all

    select
        table_name,
        record_id,
        column_name,
        issue,
        handling,
        detail,
        'staging' as detected_by,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as row_number,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from row_issues

    union all

    select
        table_name,
        record_id,
        column_name,
        issue,
        handling,
        detail,
        'references' as detected_by,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as row_number,
        cast(null as {{ dbt.type_timestamp() }}) as loaded_at
    from find_unresolved_references

),

final as (

    select
        table_name,
        record_id,
        column_name,
        issue,
        handling,
        case
            when column_name in ({{ personal_data_column_list() }}) then {{ personal_data('detail') }}
            else detail
        end as detail,
        detected_by,
        source_file,
        row_number,
        loaded_at
    from combine_issues

)

select * from final
