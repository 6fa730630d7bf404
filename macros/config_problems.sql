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

{#
    ref() of a config seed, after checking its header against the columns
    documented in seeds/_seeds.yml: a missing column (deleted, renamed) or
    an unknown one (a typo such as `decay_dayz`) stops the build at the
    seed's staging model, before any scoring model runs, with a message
    naming the file and the fix. (Without it, a missing column would fail
    deep inside a query, and an unknown one would be ignored.)
#}
{% macro checked_seed(seed_name) %}
    {%- set relation = ref(seed_name) -%}
    {%- if execute and '__dbt__cte__' not in (relation | string) -%}
        {%- set seed = graph.nodes.values() | selectattr('resource_type', 'equalto', 'seed')
            | selectattr('name', 'equalto', seed_name) | first -%}
        {%- set expected = seed.columns.keys() | map('lower') | list -%}
        {%- set found = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- set missing = expected | reject('in', found) | list -%}
        {%- set unknown = found | reject('in', expected) | list -%}
        {%- if missing or unknown -%}
            {%- set problems = [] -%}
            {%- if missing -%}
                {%- do problems.append('missing column(s) ' ~ missing | join(', ')) -%}
            {%- endif -%}
            {%- if unknown -%}
                {%- do problems.append('unknown column(s) ' ~ unknown | join(', ') ~ ' (misspelt?)') -%}
            {%- endif -%}
            {{- exceptions.raise_compiler_error(
                'Invalid scoring configuration. seeds/' ~ seed_name ~ '.csv: ' ~ problems | join('; ')
                ~ '. Its header must name exactly these columns (empty cells for the ones a row does not use): '
                ~ expected | join(',')) -}}
        {%- endif -%}
    {%- endif -%}
    {{- return(relation) -}}
{% endmacro %}
