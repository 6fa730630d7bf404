{#
    Body of the config tests: at execution time, reads int_config_errors
    for one severity and reports every problem by name. Errors stop the
    build with a message listing them all; warnings are logged. The returned
    query selects the same rows, so `store_failures` keeps them too.
#}
{% macro report_config_problems(severity) %}
    {%- set relation = ref('int_config_errors') -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select config_file, model_id, item_id, problem from " ~ relation
            ~ " where severity = '" ~ severity ~ "' order by config_file, model_id, item_id, problem"
        ) -%}
        {%- if found is not none and found.rows | length > 0 -%}
            {%- set lines = [] -%}
            {%- for row in found.rows -%}
                {%- do lines.append(
                    "  - " ~ row[0] ~ ".csv, model '" ~ (row[1] or '') ~ "', "
                    ~ {'scoring_models': 'model', 'scoring_groups': 'group', 'scoring_rules': 'rule',
                       'score_tiers': 'tier', 'score_calibration': 'band from'}[row[0]]
                    ~ " '" ~ (row[2] or '') ~ "': " ~ row[3]
                ) -%}
            {%- endfor -%}
            {%- set message = found.rows | length ~ " scoring config " ~ severity
                ~ ("s" if found.rows | length > 1 else "") ~ ":\n" ~ lines | join("\n") -%}
            {%- if severity == 'error' -%}
                {{ exceptions.raise_compiler_error("Invalid scoring configuration. " ~ message) }}
            {%- else -%}
                {{ log("Scoring config warning. " ~ message, info=true) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select
        config_file,
        model_id,
        item_id,
        problem
    from {{ relation }}
    where severity = '{{ severity }}'
{% endmacro %}
