-- Summing lead_score_contributions per group, capping at max_points, then
-- summing per dimension, clamping to [0, max_score] and rounding must give
-- the published scores, for every lead and account (entities without
-- contributions must score 0).

with

published as (

    {{ published_entity_scores(['score', 'fit_score', 'engagement_score']) }}

),

contributions as (

    select
        contributions.model_id,
        coalesce(contributions.contact_id, contributions.company_id) as entity_id,
        contributions.group_id,
        contributions.points
    from {{ ref('lead_score_contributions') }} as contributions
    inner join {{ ref('stg_config__scoring_models') }} as scoring_models
        on contributions.model_id = scoring_models.model_id
    where
        (scoring_models.scope = 'contact' and contributions.contact_id is not null)
        or (scoring_models.scope = 'company' and contributions.contact_id is null)

),

capped_groups as (

    select
        contributions.model_id,
        contributions.entity_id,
        scoring_groups.dimension,
        case
            when sum(contributions.points) > max(scoring_groups.max_points) then max(scoring_groups.max_points)
            else sum(contributions.points)
        end as group_points
    from contributions
    inner join {{ ref('stg_config__scoring_groups') }} as scoring_groups
        on
            contributions.model_id = scoring_groups.model_id
            and contributions.group_id = scoring_groups.group_id
    group by contributions.model_id, contributions.entity_id, contributions.group_id, scoring_groups.dimension

),

recomputed as (

    select
        published.model_id,
        published.entity_id,
        published.score,
        published.fit_score,
        published.engagement_score,
        scoring_models.max_score,
        coalesce(sum(capped_groups.group_points), 0) as total_points,
        coalesce(sum(case when capped_groups.dimension = 'fit' then capped_groups.group_points end), 0)
            as fit_points,
        coalesce(sum(case when capped_groups.dimension = 'engagement' then capped_groups.group_points end), 0)
            as engagement_points
    from published
    inner join {{ ref('stg_config__scoring_models') }} as scoring_models
        on published.model_id = scoring_models.model_id
    left join capped_groups
        on
            published.model_id = capped_groups.model_id
            and published.entity_id = capped_groups.entity_id
    group by
        published.model_id,
        published.entity_id,
        published.score,
        published.fit_score,
        published.engagement_score,
        scoring_models.max_score

)

select *
from recomputed
where
    abs(score - round(greatest(least(total_points, max_score), 0), 2)) > 0.005
    or abs(fit_score - round(greatest(least(fit_points, max_score), 0), 2)) > 0.005
    or abs(engagement_score - round(greatest(least(engagement_points, max_score), 0), 2)) > 0.005
