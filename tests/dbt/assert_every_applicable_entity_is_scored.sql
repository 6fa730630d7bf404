-- Every applicable contact of a contact model has a lead_scores row and every
-- company of an applicable contact has an account_scores row, even with no
-- hits; and nothing else is published (at T, the current score time).

with

expected as (

    select distinct
        model_contacts.model_id,
        model_contacts.entity_id
    from {{ ref('int_model_contacts') }} as model_contacts
    inner join {{ ref('int_score_times') }} as score_times
        on model_contacts.scored_at = score_times.scored_at
    where score_times.is_current

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
