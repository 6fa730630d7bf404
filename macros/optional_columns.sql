{#
    A column of a source table that older raw tables may lack (an optional
    column of the contract): the column when the relation has it, else a
    typed null. Introspects the relation at execution time; in unit tests the
    override `optional_source_column: <column>` selects the fixture's column.
#}
{% macro optional_source_column(relation, column_name, data_type) %}
    {#- A unit test's fixture is a CTE (__dbt__cte__...), not a relation to describe. -#}
    {%- if execute and '__dbt__cte__' not in (relation | string) -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if column_name | lower in names -%}
            {{- return(column_name) -}}
        {%- endif -%}
    {%- endif -%}
    {{- return('cast(null as ' ~ data_type ~ ')') -}}
{% endmacro %}

{#
    A source table that may not exist (an optional table of the contract,
    such as the loader's load_rejects): the relation when it exists, else an
    empty subquery with the given {column: type} columns. Introspects at
    execution time; a unit test's fixture (a CTE) is used as it is.
#}
{% macro optional_source_relation(relation, columns) %}
    {%- if not execute or '__dbt__cte__' in (relation | string) -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- if adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is not none -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set typed_nulls = [] -%}
    {%- for name, data_type in columns.items() -%}
        {%- do typed_nulls.append('cast(null as ' ~ data_type ~ ') as ' ~ name) -%}
    {%- endfor -%}
    {{- return('(select ' ~ typed_nulls | join(', ') ~ ' where 1 = 0) as missing_' ~ relation.identifier) -}}
{% endmacro %}
