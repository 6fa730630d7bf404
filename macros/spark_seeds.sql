{#
    Seeds on Spark: dbt-spark's session connection formats every value as
    '<value>' without escaping, so an empty cell arrives as the text 'None'
    and a quote in a description breaks the statement (dbt-spark issue 901,
    "wontfix"). This override writes each value as a SQL literal itself:
    null for an empty cell, else the text with backslashes and quotes
    escaped as Spark's parser expects, cast to the column's type.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ spark_seed_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}){%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(statements[0] if statements else '') -}}
{% endmacro %}

{# A seed cell as a Spark SQL literal (null, true/false, a number or quoted text). #}
{% macro spark_seed_literal(value) %}
    {%- if value is none -%}
        {{- return('null') -}}
    {%- elif value is sameas true or value is sameas false -%}
        {{- return('true' if value else 'false') -}}
    {%- elif value is number -%}
        {{- return(value | string) -}}
    {%- else -%}
        {%- set text = value | string | replace('\\', '\\\\') | replace("'", "\\'") -%}
        {{- return("'" ~ text ~ "'") -}}
    {%- endif -%}
{% endmacro %}
