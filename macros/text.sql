{# Trimmed text, with the empty string as null (display case kept). #}
{% macro clean_text(text_expr) %}
    nullif(trim({{ text_expr }}), '')
{%- endmacro %}

{# Trimmed, lowercased text, with the empty string as null: the form every comparison uses. #}
{% macro normalized_text(text_expr) %}
    nullif(lower(trim({{ text_expr }})), '')
{%- endmacro %}


{#
    Rows of `relation` exploded into the `|`-separated alternatives of
    `text_column`: key columns, alternative_position (1-based) and
    alternative_text (trimmed, lowercased, null when empty). Rows whose text
    is null give no rows. Texts with more than 1000 alternatives are cut at
    1000 (the config checks report them).
#}
{% macro split_alternatives(relation, key_columns, text_column) %}
    select
        {%- for column in key_columns %}
        source_rows.{{ column }},
        {%- endfor %}
        spine.n as alternative_position,
        {{ normalized_text(split_part_at('source_rows.' ~ text_column, '|', 'spine.n')) }} as alternative_text
    from {{ relation }} as source_rows
    cross join ({{ integer_spine(1000) }}) as spine
    where
        source_rows.{{ text_column }} is not null
        and spine.n <= {{ dbt.length('source_rows.' ~ text_column) }}
        - {{ dbt.length(dbt.replace('source_rows.' ~ text_column, "'|'", "''")) }} + 1
{%- endmacro %}
