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

{#
    `where` with each __written_by_latest_run__(<column>) made SQL on
    `relation`: the column at least its newest value, written as a literal
    (queried when the test runs) so that the engine skips the row groups of
    older runs instead of filtering every row through a subquery.
#}
{% macro latest_run_rows_condition(relation, where) -%}
    {%- set token = '__written_by_latest_run__\\(\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)' -%}
    {%- set columns = modules.re.findall(token, where) -%}
    {%- if not columns -%}
        {{- exceptions.raise_compiler_error('where config "' ~ where ~ '": __written_by_latest_run__ takes one watermark column, e.g. __written_by_latest_run__(matched_through)') -}}
    {%- endif -%}
    {%- set rewritten = namespace(where=where) -%}
    {%- for column in columns | unique -%}
        {%- if test_whole_tables() -%}
            {%- set replacement = '(1 = 1)' -%}
        {%- else -%}
            {%- set newest = queried_timestamp_literal('select max(' ~ column ~ ') from ' ~ relation) -%}
            {%- set replacement = 'coalesce(' ~ column ~ ' >= ' ~ newest ~ ', 1 = 1)' -%}
        {%- endif -%}
        {%- set rewritten.where = modules.re.sub('__written_by_latest_run__\\(\\s*' ~ column ~ '\\s*\\)', replacement, rewritten.where) -%}
    {%- endfor -%}
    {{- return(rewritten.where) -}}
{%- endmacro %}

{#
    dbt's relationships test, with the sides of the join swapped when the
    child is scoped to the latest run's rows: those are few (a day's
    matches) while the parent may hold every event, and DuckDB builds its
    hash table from the side the SQL puts on the right (the
    disabled_optimizers setting, docs/performance.md). Built from every
    event_id, the table cost 11-13 s per run at 100M events; the day's rows
    are looked up while the parent is scanned instead. Same rows returned:
    the child values without a parent. Other relationships tests are dbt's.
#}
{% macro default__test_relationships(model, column_name, to, field) %}
    {%- if '__written_by_latest_run__' in (config.get('where') or '') %}

    with child as (
        select {{ column_name }} as from_field
        from {{ model }}
        where {{ column_name }} is not null
    ),

    parent as (
        select {{ field }} as to_field
        from {{ to }}
    )

    select child.from_field
    from parent
    right join child
        on parent.to_field = child.from_field
    where parent.to_field is null
    {%- else -%}
        {{ dbt.default__test_relationships(model, column_name, to, field) }}
    {%- endif %}
{% endmacro %}
