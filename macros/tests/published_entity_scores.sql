{#
    Published entity scores as one relation keyed by (scored_at, model_id,
    entity_id), with the given columns: what the singular data tests check.
    lead_scores and account_scores (at T), plus, with include_snapshots,
    lead_score_history and backtest_observations (scored_at = cutoff_at).
#}
{% macro published_entity_scores(columns, include_snapshots=false) %}
    select
        scored_at,
        model_id,
        contact_id as entity_id,
        {{ columns | join(', ') }}
    from {{ ref('lead_scores') }}
    union all
    select
        scored_at,
        model_id,
        company_id as entity_id,
        {{ columns | join(', ') }}
    from {{ ref('account_scores') }}
    {%- if include_snapshots %}
    union all
    select
        scored_at,
        model_id,
        coalesce(contact_id, company_id) as entity_id,
        {{ columns | join(', ') }}
    from {{ ref('lead_score_history') }}
    union all
    select
        cutoff_at as scored_at,
        model_id,
        coalesce(contact_id, company_id) as entity_id,
        {{ columns | join(', ') }}
    from {{ ref('backtest_observations') }}
    {%- endif %}
{% endmacro %}


{#
    Rows of `scores` (scored_at, model_id, entity_id, score, fit_score,
    engagement_score) that do not equal what `points` (scored_at, model_id,
    entity_id, group_id, points: one row per rule) give when summed per
    group, capped at max_points, summed per dimension, clamped to
    [0, max_score] and rounded. Entities without points must score 0.
#}
{% macro scores_not_reproduced_by_points(points, scores) %}
with

capped_groups as (

    select
        rule_points.scored_at,
        rule_points.model_id,
        rule_points.entity_id,
        scoring_groups.dimension,
        case
            when sum(rule_points.points) > max(scoring_groups.max_points) then max(scoring_groups.max_points)
            else sum(rule_points.points)
        end as group_points
    from ({{ points }}) as rule_points
    inner join {{ ref('stg_config__scoring_groups') }} as scoring_groups
        on
            rule_points.model_id = scoring_groups.model_id
            and rule_points.group_id = scoring_groups.group_id
    group by
        rule_points.scored_at,
        rule_points.model_id,
        rule_points.entity_id,
        rule_points.group_id,
        scoring_groups.dimension

),

recomputed as (

    select
        scores.scored_at,
        scores.model_id,
        scores.entity_id,
        scores.score,
        scores.fit_score,
        scores.engagement_score,
        scoring_models.max_score,
        coalesce(sum(capped_groups.group_points), 0) as total_points,
        coalesce(sum(case when capped_groups.dimension = 'fit' then capped_groups.group_points end), 0)
            as fit_points,
        coalesce(sum(case when capped_groups.dimension = 'engagement' then capped_groups.group_points end), 0)
            as engagement_points
    from ({{ scores }}) as scores
    inner join {{ ref('stg_config__scoring_models') }} as scoring_models
        on scores.model_id = scoring_models.model_id
    left join capped_groups
        on
            scores.scored_at = capped_groups.scored_at
            and scores.model_id = capped_groups.model_id
            and scores.entity_id = capped_groups.entity_id
    group by
        scores.scored_at,
        scores.model_id,
        scores.entity_id,
        scores.score,
        scores.fit_score,
        scores.engagement_score,
        scoring_models.max_score

)

select *
from recomputed
where
    abs(score - {{ round_to('greatest(least(total_points, max_score), 0)', 2) }}) > 0.005
    or abs(fit_score - {{ round_to('greatest(least(fit_points, max_score), 0)', 2) }}) > 0.005
    or abs(engagement_score - {{ round_to('greatest(least(engagement_points, max_score), 0)', 2) }}) > 0.005
{% endmacro %}
