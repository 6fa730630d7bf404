{#
    `value_expr` lies in the half-open score range of `range_alias`, a row
    with min_score and next_min_score (null for the top range): the tier or
    calibration band that holds a score (int_entity_scores).
#}
{% macro in_score_range(value_expr, range_alias) -%}
    {{ value_expr }} >= {{ range_alias }}.min_score
    and (
        {{ range_alias }}.next_min_score is null
        or {{ value_expr }} < {{ range_alias }}.next_min_score
    )
{%- endmacro %}
