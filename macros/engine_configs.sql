{#
    Per-engine configuration (README, "Other engines"): what a model is
    materialized as, indexes and planner statistics. Models and
    dbt_project.yml call these; the SQL itself stays the same everywhere.
#}

{#
    Materialization of the incremental models: incremental where the engine
    can delete rows (DuckDB, PostgreSQL: delete+insert and the pre-hooks'
    deletes); a table rebuilt on every run on Spark, whose Parquet tables
    have no row-level delete (README, "Other engines").
#}
{% macro incremental_materialization() %}
    {{- return('table' if target.type == 'spark' else 'incremental') -}}
{% endmacro %}

{#
    Indexes on a mart's key columns where the engine has them (PostgreSQL):
    BI tools and the CRM sync look rows up by model and entity. The key's
    uniqueness is a data test; these indexes are for reading. DuckDB and
    Spark get none (column stores that scan; dbt-spark has no indexes).
#}
{% macro mart_indexes(key_columns) %}
    {%- if target.type == 'postgres' -%}
        {{- return([{'columns': key_columns}]) -}}
    {%- endif -%}
    {{- return([]) -}}
{% endmacro %}

{#
    Post-hook of every model and seed: on PostgreSQL, `analyze` a table right
    after dbt wrote it. PostgreSQL's planner estimates rows from statistics
    that autovacuum gathers only later; without them a freshly built table
    looks tiny and the next model's joins become nested loops (on 20,000
    contacts the event matches took minutes instead of seconds). Views need
    none; other engines plan without it (nothing is run there).
#}
{% macro analyze_for_planner() %}
    {%- if target.type == 'postgres' and config.get('materialized') in ('table', 'incremental', 'seed') -%}
        analyze {{ this }}
    {%- endif -%}
{% endmacro %}
