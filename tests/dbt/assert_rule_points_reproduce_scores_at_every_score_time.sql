-- At every score time (T, each history snapshot, each backtest cutoff), the
-- rule points re-add to the entity's scores: sum per group, cap, sum per
-- dimension, clamp and round.

{% set points %}
    select
        scored_at,
        model_id,
        entity_id,
        group_id,
        points
    from {{ ref('int_rule_points') }}
{% endset %}

{% set scores %}
    select
        scored_at,
        model_id,
        entity_id,
        score,
        fit_score,
        engagement_score
    from {{ ref('int_entity_scores') }}
{% endset %}

{{ scores_not_reproduced_by_points(points, scores) }}
