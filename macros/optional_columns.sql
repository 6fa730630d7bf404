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
