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

    select
        'events' as table_name,
        events.event_id as record_id,
        'contact_id' as column_name,
        'unknown contact_id' as issue,
        'kept: scored once the contact is loaded' as handling,
        events.contact_id as detail
    from events
    left join contacts
        on events.contact_id = contacts.contact_id
    where contacts.contact_id is null

    union all

    select
        'contacts' as table_name,
        contacts.contact_id as record_id,
        'company_id' as column_name,
        'unknown company_id' as issue,
        'kept: company fields are null until the company is loaded' as handling,
        contacts.company_id as detail
    from contacts
    left join companies
        on contacts.company_id = companies.company_id
    where
        contacts.company_id is not null
        and companies.company_id is null

    union all

    select
        'deals' as table_name,
        deals.deal_id as record_id,
        'company_id' as column_name,
        'unknown company_id' as issue,
        'kept' as handling,
        deals.company_id as detail
    from deals
    left join companies
        on deals.company_id = companies.company_id
    where
        deals.company_id is not null
        and companies.company_id is null

    union all

    select
        'deals' as table_name,
        deals.deal_id as record_id,
        'contact_id' as column_name,
        'unknown contact_id' as issue,
        'kept' as handling,
        deals.contact_id as detail
    from deals
    left join contacts
        on deals.contact_id = contacts.contact_id
    where
        deals.contact_id is not null
        and contacts.contact_id is null

    union all

    select
        'list_memberships' as table_name,
        list_memberships.contact_id as record_id,
        'contact_id' as column_name,
        'unknown contact_id' as issue,
        'kept: applies once the contact is loaded' as handling,
        list_memberships.list_key as detail
    from list_memberships
    left join contacts
        on list_memberships.contact_id = contacts.contact_id
    where contacts.contact_id is null

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
