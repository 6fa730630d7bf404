{#
    Score time T as a SQL timestamp literal (naive, UTC).

    T comes from the `as_of` var (ISO-8601; an offset or `Z` is converted to
    UTC; a date alone means midnight UTC). When `as_of` is empty, T is the
    start of the dbt invocation (`run_started_at`), so every model of one
    build scores at the same instant. The var is parsed here and re-rendered
    from the parsed value, so no user text reaches the SQL.
#}
{% macro as_of_datetime() %}
    {%- set raw_value = var('as_of', '') -%}
    {%- if raw_value is none or (raw_value | string | trim) == '' -%}
        {%- set parsed = run_started_at -%}
    {%- else -%}
        {%- set text = raw_value | string | trim -%}
        {%- if text[-1:] in ['z', 'Z'] -%}
            {%- set text = text[:-1] ~ '+00:00' -%}
        {%- endif -%}
        {%- set parsed = none -%}
        {%- set ns = namespace(parsed=none) -%}
        {%- if modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?([+-][0-9]{2}:?[0-9]{2})?)?$', text) -%}
            {%- set ns.parsed = modules.datetime.datetime.fromisoformat(text) -%}
        {%- endif -%}
        {%- if ns.parsed is none -%}
            {{ exceptions.raise_compiler_error(
                "var 'as_of' = '" ~ raw_value ~ "' is not an ISO-8601 timestamp; "
                ~ "use e.g. 2026-06-30 or 2026-06-30T12:00:00Z"
            ) }}
        {%- endif -%}
        {%- set parsed = ns.parsed -%}
    {%- endif -%}
    {%- if parsed.tzinfo is not none -%}
        {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{- return(parsed) -}}
{% endmacro %}

{% macro as_of_timestamp() %}
    {%- set parsed = as_of_datetime() -%}
    cast('{{ parsed.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
