{#- Lead scores of each contact model by the contacts' CRM lifecycle stage. -#}

with

lead_scores as (

    select
        model_id,
        contact_id,
        score,
        fit_score,
        engagement_score,
        is_qualified,
        scored_at
    from {{ ref('lead_scores') }}

),

contacts as (

    select
        contact_id,
        lifecycle_stage
    from {{ ref('stg_crm__contacts') }}

),

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

),

join_stages as (

    select
        lead_scores.model_id,
        contacts.lifecycle_stage,
        lead_scores.score,
        lead_scores.fit_score,
        lead_scores.engagement_score,
        lead_scores.is_qualified
    from lead_scores
    inner join contacts
        on lead_scores.contact_id = contacts.contact_id

),

aggregate_stages as (

    select
        model_id,
        lifecycle_stage,
        count(*) as leads,
        sum(case when is_qualified then 1 else 0 end) as qualified_leads,
        {{ deterministic_avg("score") }} as average_score,
        {{ deterministic_avg("fit_score") }} as average_fit_score,
        {{ deterministic_avg("engagement_score") }} as average_engagement_score
    from join_stages
    group by
        model_id,
        lifecycle_stage

),

final as (

    select
        aggregate_stages.model_id,
        aggregate_stages.lifecycle_stage,
        aggregate_stages.leads,
        aggregate_stages.qualified_leads,
        {{ share_of('aggregate_stages.qualified_leads', 'aggregate_stages.leads') }}
            as qualified_rate,
        aggregate_stages.average_score,
        aggregate_stages.average_fit_score,
        aggregate_stages.average_engagement_score,
        current_score_time.scored_at
    from aggregate_stages
    cross join current_score_time

)

select * from final
