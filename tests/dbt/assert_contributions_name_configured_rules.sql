-- Every contribution names a rule of its model, in the rule's own group, and
-- its entity is a published lead or account.

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

published as (

    select
        model_id,
        contact_id,
        company_id
    from {{ ref('lead_scores') }}
    union all
    select
        model_id,
        cast(null as {{ dbt.type_string() }}) as contact_id,
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
where
    rules.rule_id is null
    or not exists (
        select 1
        from published
        where
            published.model_id = contributions.model_id
            and (
                published.contact_id = contributions.contact_id
                or (
                    published.contact_id is null
                    and contributions.contact_id is null
                    and published.company_id = contributions.company_id
                )
            )
    )
