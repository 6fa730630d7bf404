-- Won deals as conversions of the entities they credit: a deal converts its
-- contact, or every contact of its company when it names none; for company
-- models it converts its company. Only deals closed at or before T exist.

with

won_deals as (

    select
        deal_id,
        company_id,
        contact_id,
        closed_at
    from {{ ref('stg_crm__deals') }}
    where
        is_won
        and closed_at is not null
        and closed_at <= {{ as_of_timestamp() }}

),

contacts as (

    select
        contact_id,
        company_id
    from {{ ref('stg_crm__contacts') }}

),

credit_contacts as (

    select
        'contact' as scope,
        contact_id as entity_id,
        deal_id,
        closed_at as converted_at
    from won_deals
    where contact_id is not null

    union all

    select
        'contact' as scope,
        contacts.contact_id as entity_id,
        won_deals.deal_id,
        won_deals.closed_at as converted_at
    from won_deals
    inner join contacts
        on won_deals.company_id = contacts.company_id
    where won_deals.contact_id is null

),

credit_companies as (

    select
        'company' as scope,
        company_id as entity_id,
        deal_id,
        closed_at as converted_at
    from won_deals
    where company_id is not null

),

final as (

    select * from credit_contacts
    union all
    select * from credit_companies

)

select * from final
