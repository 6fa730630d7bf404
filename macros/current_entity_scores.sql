{#
    Body of lead_scores and account_scores: the entity scores of one scope at
    T (the current score time), with the spec's columns (model_id, the
    entity's id columns, the scores, tiers, is_qualified, scored_at) followed
    by the calibrated conversion probability.
#}
{% macro current_entity_scores(scope, id_columns) %}
    {%- set score_columns = [
        'score', 'fit_score', 'engagement_score', 'tier', 'fit_tier', 'engagement_tier',
        'is_qualified', 'scored_at', 'conversion_probability', 'conversion_horizon_days',
        'calibrated_from', 'calibrated_to'
    ] -%}
with

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

),

entity_scores as (

    select
        model_id,
        scope,
        {%- for column in id_columns + score_columns %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_entity_scores') }}

),

final as (

    select
        entity_scores.model_id,
        {%- for column in id_columns + score_columns %}
        entity_scores.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from entity_scores
    inner join current_score_time
        on entity_scores.scored_at = current_score_time.scored_at
    where entity_scores.scope = '{{ scope }}'

)

select * from final
{% endmacro %}
