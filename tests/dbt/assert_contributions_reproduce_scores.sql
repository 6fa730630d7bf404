-- Summing lead_score_contributions per group, capping at max_points, then
-- summing per dimension, clamping to [0, max_score] and rounding must give
-- the published scores, for every lead and account (entities without
-- contributions must score 0). Both are at T, so scored_at is a constant.

{% set contributions %}
    select
        0 as scored_at,
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
{% endset %}

{% set published %}
    select
        0 as scored_at,
        model_id,
        entity_id,
        score,
        fit_score,
        engagement_score
    from ({{ published_entity_scores(['score', 'fit_score', 'engagement_score']) }}) as published
{% endset %}

{{ scores_not_reproduced_by_points(contributions, published) }}
