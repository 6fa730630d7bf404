-- Every contribution names a rule of its model, in the rule's own group, and
-- its entity is a published lead or account (equality joins only, so the
-- check stays linear at scale).

with

contributions as (

    select
        model_id,
        contact_id,
        company_id,
        group_id,
        rule_id
    from {{ ref('lead_score_contributions') }}

),

rules as (

    select
        model_id,
        rule_id,
        group_id
    from {{ ref('stg_config__scoring_rules') }}

),

leads as (

    select
        model_id,
        contact_id
    from {{ ref('lead_scores') }}

),

accounts as (

    select
        model_id,
        company_id
    from {{ ref('account_scores') }}

)

select contributions.*
from contributions
left join rules
    on
        contributions.model_id = rules.model_id
        and contributions.rule_id = rules.rule_id
        and contributions.group_id = rules.group_id
left join leads
    on
        contributions.model_id = leads.model_id
        and contributions.contact_id = leads.contact_id
left join accounts
    on
        contributions.model_id = accounts.model_id
        and contributions.company_id = accounts.company_id
        and contributions.contact_id is null
where
    rules.rule_id is null
    or (contributions.contact_id is not null and leads.contact_id is null)
    or (contributions.contact_id is null and accounts.company_id is null)
