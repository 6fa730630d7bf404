-- Every applicable contact of a contact model has a lead_scores row and every
-- company of an applicable contact has an account_scores row, even with no
-- hits; and nothing else is published.

with

expected as (

    select distinct
        model_id,
        entity_id
    from {{ ref('int_model_contacts') }}

),

published as (

    select
        model_id,
        contact_id as entity_id
    from {{ ref('lead_scores') }}
    union all
    select
        model_id,
        company_id as entity_id
    from {{ ref('account_scores') }}

)

select
    coalesce(expected.model_id, published.model_id) as model_id,
    coalesce(expected.entity_id, published.entity_id) as entity_id,
    case when published.entity_id is null then 'missing' else 'unexpected' end as problem
from expected
full outer join published
    on
        expected.model_id = published.model_id
        and expected.entity_id = published.entity_id
where expected.entity_id is null or published.entity_id is null
