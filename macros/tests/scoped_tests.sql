{#
    Data tests that scale (docs/performance.md, "Tests that scale"): tests on
    the incremental models check what their latest run wrote, so a daily
    build does not re-scan every match to prove what earlier runs proved.

    Every row of an incremental model carries the watermark of the run that
    wrote it (matched_through, sequenced_through). The latest run's rows are
    those at the model's newest watermark (or with none). After a rebuild
    that is every row, so the tests read the whole table. Two cases always
    read the whole table: `--full-refresh` and the var
    `test_whole_tables: true`.

    - A test's `where` may say `__written_by_latest_run__(<watermark column>)`
      (row-level tests: not_null, relationships, expressions).
    - unique_combination_of_columns takes `latest_run_column`: the keys of
      the latest run's rows are counted over the whole table (a semi-join on
      those keys), so a row a run should have replaced and kept is found.
    - Whole-table counts (tests/dbt/assert_event_matches_reconcile_per_matcher.sql)
      catch a row lost or left behind by any run.
#}

{# True when scoped tests must read whole tables (full refresh or the var). #}
{% macro test_whole_tables() %}
    {{- return(flags.FULL_REFRESH or var('test_whole_tables', false) | string | lower in ('true', '1')) -}}
{% endmacro %}

{#
    True when the rows of `relation` carry more than one watermark in
    `column` (several runs wrote them): a query at test time; false at parse.
#}
{% macro written_by_several_runs(relation, column) %}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set check -%}
        select count(*) from (
            select min({{ column }}) as oldest, max({{ column }}) as newest
            from {{ relation }}
        ) as watermarks
        where oldest < newest
    {%- endset -%}
    {{- return(run_query(check).columns[0].values()[0] > 0) -}}
{% endmacro %}

{#
    dbt calls get_where_subquery to wrap the tested relation in the test's
    `where`; this replaces dbt's default with one that also expands the
    __written_by_latest_run__(<column>) token.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__written_by_latest_run__' in where -%}
        {%- set where = latest_run_rows_condition(relation, where) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{- return(filtered) -}}
    {%- endif -%}
    {{- return(relation) -}}
{%- endmacro %}

{# `where` with each __written_by_latest_run__(<column>) made SQL on `relation`. #}
{% macro latest_run_rows_condition(relation, where) -%}
    {%- set token = '__written_by_latest_run__\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)' -%}
    {%- if modules.re.search(token, where) is none -%}
        {{- exceptions.raise_compiler_error('where config "' ~ where ~ '": __written_by_latest_run__ takes one watermark column, e.g. __written_by_latest_run__(matched_through)') -}}
    {%- endif -%}
    {%- if test_whole_tables() -%}
        {%- set replacement = '(1 = 1)' -%}
    {%- else -%}
        {%- set replacement = 'coalesce(\\1 >= (select max(newest_run.\\1) from ' ~ relation ~ ' as newest_run), 1 = 1)' -%}
    {%- endif -%}
    {{- return(modules.re.sub(token, replacement, where)) -}}
{%- endmacro %}
