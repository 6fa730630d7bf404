{{ config(materialized='table') }}

-- A table, not a view: four models read it at every score time and would
-- each re-run the grouping; and PostgreSQL's planner, estimating the
-- grouped view at a few hundred rows, joined int_entity_scores on model_id
-- alone (a merge join with the other keys as a filter: more than 12
-- minutes at 10M events). As an analyzed table its size is known.

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
