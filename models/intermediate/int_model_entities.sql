with

model_contacts as (

    select
        scored_at,
        model_id,
        scope,
        entity_id,
        contact_id,
        company_id,
        owner_id,
        created_at
    from {{ ref('int_model_contacts') }}

),

final as (

    -- A contact entity is its one contact; a company entity pools its
    -- applicable contacts and was created with the earliest of them.
    select
        scored_at,
        model_id,
        scope,
        entity_id,
        case when scope = 'contact' then max(contact_id) end as contact_id,
        max(company_id) as company_id,
        case when scope = 'contact' then max(owner_id) end as owner_id,
        min(created_at) as created_at
    from model_contacts
    group by scored_at, model_id, scope, entity_id

)

select * from final
