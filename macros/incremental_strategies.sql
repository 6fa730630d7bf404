{#
    Incremental strategy `replace_tails` (config incremental_strategy =
    'replace_tails', with unique_key the group columns and tail_column a
    number that orders each group's rows): for each group among the new rows,
    delete the stored rows from the group's smallest new tail_column value
    on, and the stored rows whose tail_column is null; when the group's new
    rows all have a null tail_column, delete the whole group. Then insert the
    new rows. A run that extends a sequence rewrites only its tail; one that
    renumbers it from 1 replaces it whole.

    Unlike dbt-duckdb's delete+insert, which joins the stored rows to every
    new row of their group (a group of n rows costs n x n: 7 s for the 2.1M
    rows of one day at 10M events), the delete joins one row per group (0.4
    s). Written as a join, not a correlated `exists`, which DuckDB ran 25x
    slower. Portable SQL (DuckDB, PostgreSQL; Spark builds these
    models as tables).
#}
{% macro get_incremental_replace_tails_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set tail = config.get('tail_column') -%}
    {%- if not keys or not tail -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace_tails' needs unique_key (the group columns) and tail_column in " ~ this) }}
    {%- endif -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}

    delete from {{ target }} as stored_rows
    using (
        select
            {%- for key in keys %}
            {{ key }},
            {%- endfor %}
            min({{ tail }}) as replaced_from
        from {{ source }}
        group by {{ keys | join(', ') }}
    ) as replaced_tails
    where
        {%- for key in keys %}
        replaced_tails.{{ key }} = stored_rows.{{ key }} and
        {%- endfor %}
        (
            replaced_tails.replaced_from is null
            or stored_rows.{{ tail }} is null
            or stored_rows.{{ tail }} >= replaced_tails.replaced_from
        );

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{% endmacro %}
