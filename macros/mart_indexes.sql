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
