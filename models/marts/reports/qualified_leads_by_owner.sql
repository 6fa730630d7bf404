{#-
    The sales list of each seller: every qualified lead of each contact
    model with its owner, rank in the owner's list (1 = highest score), who
    the lead is and the three rules that give it the most points. Names and
    email go through personal_data() (README, "Privacy and access").
-#}

{%- set top_reasons = 3 %}

with

lead_scores as (

    select
        model_id,
        contact_id,
        company_id,
        owner_id,
        score,
        fit_score,
        engagement_score,
        tier,
        scored_at
    from {{ ref('lead_scores') }}
    where is_qualified

),

contacts as (

    select
        contact_id,
        email,
        first_name,
        last_name,
        job_title,
        lifecycle_stage
    from {{ ref('stg_crm__contacts') }}

),

companies as (

    select
        company_id,
        company_name
    from {{ ref('stg_crm__companies') }}

),

contributions as (

    select
        model_id,
        contact_id,
        rule_id,
        points
    from {{ ref('lead_score_contributions') }}

),

rank_reasons as (

    select
        contributions.model_id,
        contributions.contact_id,
        contributions.rule_id,
        contributions.points,
        row_number() over (
            partition by contributions.model_id, contributions.contact_id
            order by contributions.points desc, contributions.rule_id asc
        ) as reason_rank
    from contributions
    inner join lead_scores
        on
            contributions.model_id = lead_scores.model_id
            and contributions.contact_id = lead_scores.contact_id
    where contributions.points > 0

),

pivot_reasons as (

    select
        {%- for position in range(1, top_reasons + 1) %}
            max(case when reason_rank = {{ position }} then rule_id end)
                as reason_{{ position }}_rule_id,
            max(case when reason_rank = {{ position }} then points end)
                as reason_{{ position }}_points,
        {%- endfor %}
        model_id,
        contact_id
    from rank_reasons
    where reason_rank <= {{ top_reasons }}
    group by
        model_id,
        contact_id

),

rank_within_owner as (

    select
        model_id,
        contact_id,
        company_id,
        owner_id,
        score,
        fit_score,
        engagement_score,
        tier,
        scored_at,
        row_number() over (
            partition by model_id, owner_id
            order by score desc, contact_id asc
        ) as owner_rank
    from lead_scores

),

final as (

    select
        rank_within_owner.model_id,
        rank_within_owner.owner_id,
        rank_within_owner.owner_rank,
        rank_within_owner.contact_id,
        {{ personal_data('contacts.first_name') }} as first_name,
        {{ personal_data('contacts.last_name') }} as last_name,
        {{ personal_data('contacts.email') }} as email,
        contacts.job_title,
        contacts.lifecycle_stage,
        rank_within_owner.company_id,
        companies.company_name,
        rank_within_owner.score,
        rank_within_owner.fit_score,
        rank_within_owner.engagement_score,
        rank_within_owner.tier,
        {%- for position in range(1, top_reasons + 1) %}
            pivot_reasons.reason_{{ position }}_rule_id,
            pivot_reasons.reason_{{ position }}_points,
        {%- endfor %}
        rank_within_owner.scored_at
    from rank_within_owner
    left join contacts
        on rank_within_owner.contact_id = contacts.contact_id
    left join companies
        on rank_within_owner.company_id = companies.company_id
    left join pivot_reasons
        on
            rank_within_owner.model_id = pivot_reasons.model_id
            and rank_within_owner.contact_id = pivot_reasons.contact_id

)

select * from final
