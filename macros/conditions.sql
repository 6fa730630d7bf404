{#
    Evaluates rule conditions (`field operator value`) for a set of subjects.

    `subjects` is a relation or CTE with the columns in `key_columns` (which
    must include model_id and rule_id) plus:
      operator        the rule's operator (lowercase)
      subject_text    the subject's value, trimmed and lowercased, null when
                      empty (see normalized_text)
      subject_number  subject_text as a number, or null
      value_number    the rule's value as a number (gt, gte, lt, lte)
      value_lo, value_hi  the bounds of `between`
    The alternatives of each rule's `value` come from
    int_rule_value_alternatives, joined as data: values are never spliced
    into SQL and never interpreted as patterns.

    Returns a select of key_columns and is_match (boolean, never null).
#}
{% macro rule_condition_matches(subjects, key_columns) %}
    {%- set passthrough = ['operator', 'subject_text', 'subject_number', 'value_number', 'value_lo', 'value_hi'] -%}
    select
        {%- for column in key_columns %}
        matched_alternatives.{{ column }},
        {%- endfor %}
        coalesce(
            case
                when matched_alternatives.operator = 'is_not_set'
                    then matched_alternatives.subject_text is null
                when matched_alternatives.subject_text is null then false
                when matched_alternatives.operator = 'is_set' then true
                when matched_alternatives.operator in ('equals', 'in', 'contains', 'starts_with', 'ends_with')
                    then matched_alternatives.has_alternative_match = 1
                when matched_alternatives.operator in ('not_equals', 'not_in', 'not_contains')
                    then matched_alternatives.has_alternative_match = 0
                when matched_alternatives.operator = 'gt'
                    then matched_alternatives.subject_number > matched_alternatives.value_number
                when matched_alternatives.operator = 'gte'
                    then matched_alternatives.subject_number >= matched_alternatives.value_number
                when matched_alternatives.operator = 'lt'
                    then matched_alternatives.subject_number < matched_alternatives.value_number
                when matched_alternatives.operator = 'lte'
                    then matched_alternatives.subject_number <= matched_alternatives.value_number
                when matched_alternatives.operator = 'between'
                    then
                        matched_alternatives.subject_number >= matched_alternatives.value_lo
                        and matched_alternatives.subject_number <= matched_alternatives.value_hi
            end,
            false
        ) as is_match
    from (
        select
            {%- for column in key_columns + passthrough %}
            subjects.{{ column }},
            {%- endfor %}
            max(
                case
                    when
                        subjects.operator in ('equals', 'not_equals', 'in', 'not_in')
                        and (
                            subjects.subject_text = alternatives.alternative_text
                            or subjects.subject_number = alternatives.alternative_number
                        )
                        then 1
                    when
                        subjects.operator in ('contains', 'not_contains')
                        and {{ dbt.position('alternatives.alternative_text', 'subjects.subject_text') }} > 0
                        then 1
                    when
                        subjects.operator = 'starts_with'
                        and {{ dbt.position('alternatives.alternative_text', 'subjects.subject_text') }} = 1
                        then 1
                    when
                        subjects.operator = 'ends_with'
                        and {{ dbt.right('subjects.subject_text', dbt.length('alternatives.alternative_text')) }}
                        = alternatives.alternative_text
                        then 1
                    else 0
                end
            ) as has_alternative_match
        from {{ subjects }} as subjects
        left join {{ ref('int_rule_value_alternatives') }} as alternatives
            on
                subjects.model_id = alternatives.model_id
                and subjects.rule_id = alternatives.rule_id
        group by
            {%- for column in key_columns + passthrough %}
            subjects.{{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}
    ) as matched_alternatives
{%- endmacro %}
