{#
    Personal data in the BI-facing marts (README, "Privacy and access"). Every mart
    column that can hold a person's email, name or phone goes through
    personal_data(); the var `personal_data` decides what BI sees:
    - include (default): the value;
    - hash: md5 of the value (dbt.hash), the same on every engine, so a
      value can still be matched or counted without being shown. A hash of
      an email is a pseudonym, not anonymity: anyone holding the address can
      recompute it;
    - exclude: null.
    The raw schema (raw.contacts, raw.load_rejects.record) keeps the data
    as loaded; restrict it with the warehouse's grants.
#}
{% macro personal_data(expression) %}
    {%- set mode = var('personal_data', 'include') | string | lower | trim -%}
    {%- if mode == 'include' -%}
        {{ expression }}
    {%- elif mode == 'hash' -%}
        {{ dbt.hash(expression) }}
    {%- elif mode == 'exclude' -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var 'personal_data' = '" ~ mode ~ "' is unknown; use include, hash or exclude") }}
    {%- endif -%}
{% endmacro %}

{# The contact columns that hold personal data (the ones personal_data() governs). #}
{% macro personal_data_columns() %}
    {{- return(['email', 'first_name', 'last_name', 'phone']) -}}
{% endmacro %}

{# The same, as a SQL list of string literals: 'email', 'first_name', ... #}
{% macro personal_data_column_list() %}
    {{- return("'" ~ personal_data_columns() | join("', '") ~ "'") -}}
{% endmacro %}
