{#
    Dialect-specific pieces behind adapter.dispatch. Models call only these
    (and dbt's own cross-database macros), never engine-only syntax.
#}

{# A 64-bit floating point type (dbt.type_float() is 32-bit on some engines). #}
{% macro type_double() %}
    {{- return(adapter.dispatch('type_double', 'leadscore')()) -}}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro duckdb__type_double() %}double{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}


{# Microseconds since the Unix epoch of a (naive UTC) timestamp, as an integer. #}
{% macro epoch_microseconds(timestamp_expr) %}
    {{- return(adapter.dispatch('epoch_microseconds', 'leadscore')(timestamp_expr)) -}}
{% endmacro %}

{% macro default__epoch_microseconds(timestamp_expr) %}
    cast(round(extract(epoch from {{ timestamp_expr }}) * 1000000) as bigint)
{%- endmacro %}

{% macro duckdb__epoch_microseconds(timestamp_expr) %}
    epoch_us({{ timestamp_expr }})
{%- endmacro %}

{% macro spark__epoch_microseconds(timestamp_expr) %}
    unix_micros({{ timestamp_expr }})
{%- endmacro %}


{#
    Age in (fractional) days of a timestamp at the score time `at_expr` (a
    timestamp column, usually scored_at): (epoch_seconds(at) -
    epoch_seconds(ts)) / 86400, computed on integer microseconds so that
    step boundaries are exact.
#}
{# Whole days since the epoch of a microseconds value (a join key by day). #}
{% macro epoch_day(microseconds_expr) %}
    cast(floor(cast({{ microseconds_expr }} as {{ type_double() }}) / 86400000000) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro age_days(timestamp_expr, at_expr) %}
    cast(
        {{ epoch_microseconds(at_expr) }} - {{ epoch_microseconds(timestamp_expr) }}
        as {{ type_double() }}
    ) / 86400000000
{%- endmacro %}


{#
    A text value as a number when it is a plain decimal numeral (12, -3.5,
    1e6), else null. Never errors; 'nan', 'inf' and '1,000' are not numbers.
#}
{% macro to_number_or_null(text_expr) %}
    {{- return(adapter.dispatch('to_number_or_null', 'leadscore')(text_expr)) -}}
{% endmacro %}

{% macro default__to_number_or_null(text_expr) %}
    case
        when trim({{ text_expr }}) ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'
            then cast(trim({{ text_expr }}) as {{ type_double() }})
    end
{%- endmacro %}

{% macro duckdb__to_number_or_null(text_expr) %}
    case
        when regexp_full_match(trim({{ text_expr }}), '[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?')
            then try_cast(trim({{ text_expr }}) as double)
    end
{%- endmacro %}

{% macro spark__to_number_or_null(text_expr) %}
    case
        when trim({{ text_expr }}) rlike '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'
            then try_cast(trim({{ text_expr }}) as double)
    end
{%- endmacro %}


{# The n-th (1-based) part of a text split on a literal delimiter. #}
{% macro split_part_at(text_expr, delimiter, part_expr) %}
    {{- return(adapter.dispatch('split_part_at', 'leadscore')(text_expr, delimiter, part_expr)) -}}
{% endmacro %}

{% macro default__split_part_at(text_expr, delimiter, part_expr) %}
    split_part({{ text_expr }}, '{{ delimiter }}', {{ part_expr }})
{%- endmacro %}

{% macro spark__split_part_at(text_expr, delimiter, part_expr) %}
    split_part({{ text_expr }}, '{{ delimiter }}', {{ part_expr }})
{%- endmacro %}


{# A number rendered as text: integral values without a decimal part. #}
{% macro number_as_text(number_expr) %}
    case
        when {{ number_expr }} = floor({{ number_expr }})
            and abs({{ number_expr }}) < 1e15
            then cast(cast({{ number_expr }} as bigint) as {{ dbt.type_string() }})
        else cast({{ number_expr }} as {{ dbt.type_string() }})
    end
{%- endmacro %}


{# A boolean rendered as 'true' / 'false' (null stays null). #}
{% macro boolean_as_text(boolean_expr) %}
    case
        when {{ boolean_expr }} then 'true'
        when not {{ boolean_expr }} then 'false'
    end
{%- endmacro %}


{# The integers 1..n as a subquery with one column `n` (n <= 1000). #}
{% macro integer_spine(upper_bound) %}
    select (hundreds.d * 100 + tens.d * 10 + units.d + 1) as n
    from
        (
            {% for d in range(10) %}select {{ d }} as d{% if not loop.last %} union all {% endif %}{% endfor %}
        ) as hundreds
    cross join
        (
            {% for d in range(10) %}select {{ d }} as d{% if not loop.last %} union all {% endif %}{% endfor %}
        ) as tens
    cross join
        (
            {% for d in range(10) %}select {{ d }} as d{% if not loop.last %} union all {% endif %}{% endfor %}
        ) as units
    where hundreds.d * 100 + tens.d * 10 + units.d + 1 <= {{ upper_bound }}
{%- endmacro %}


{#
    A text value as a timestamp when it is an ISO-8601 date or date-time
    (`2026-06-30`, `2026-06-30 12:00:00`, `2026-06-30T12:00:00`, optional
    fraction), else null. Never errors.
#}
{% macro to_timestamp_or_null(text_expr) %}
    {{- return(adapter.dispatch('to_timestamp_or_null', 'leadscore')(text_expr)) -}}
{% endmacro %}

{% macro default__to_timestamp_or_null(text_expr) %}
    case
        when trim({{ text_expr }}) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?$'
            then cast(replace(trim({{ text_expr }}), 'T', ' ') as {{ dbt.type_timestamp() }})
    end
{%- endmacro %}

{% macro duckdb__to_timestamp_or_null(text_expr) %}
    case
        when regexp_full_match(trim({{ text_expr }}), '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?')
            then try_cast(replace(trim({{ text_expr }}), 'T', ' ') as timestamp)
    end
{%- endmacro %}

{% macro spark__to_timestamp_or_null(text_expr) %}
    case
        when trim({{ text_expr }}) rlike '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?$'
            then try_cast(replace(trim({{ text_expr }}), 'T', ' ') as timestamp)
    end
{%- endmacro %}


{#
    A double rounded to `digits` decimals, half away from zero, as a double.
    PostgreSQL rounds only numeric; DuckDB and Spark round doubles directly.
    A value exactly halfway in decimal but not in binary (0.285 is stored as
    0.28499999...) may round either way depending on the engine: up to 0.01
    apart (README, "Other engines").
#}
{% macro round_to(number_expr, digits) %}
    {{- return(adapter.dispatch('round_to', 'leadscore')(number_expr, digits)) -}}
{% endmacro %}

{% macro default__round_to(number_expr, digits) %}
    cast(round(cast({{ number_expr }} as numeric), {{ digits }}) as {{ type_double() }})
{%- endmacro %}

{% macro duckdb__round_to(number_expr, digits) %}
    round({{ number_expr }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_to(number_expr, digits) %}
    round({{ number_expr }}, {{ digits }})
{%- endmacro %}

{#
    sum() of a double expression with the same result whatever order the
    engine adds the rows in. Floating-point addition is not associative, and
    parallel engines add in a different order on every run, so a plain sum
    of points could differ in the 15th digit between two builds of the same
    data, and a score landing on a rounding half could then round either
    way. So each term is split into a multiple of 1e-12, summed as an exact
    integer (decimal(38, 0), on every engine), and the remainder below
    1e-12, summed as a double. The remainders only matter when the whole sum
    is tiny (a hit decayed to 1e-20 still weighs more than 0); whenever the
    exact part is not, their order cannot change the double result. Terms of
    1e12 or more (points scaled far beyond any score, e.g. decay_factor > 1
    on old events) fall back to a plain sum. With `over`, the same as a
    window aggregate (a running sum).
#}
{% macro deterministic_sum(expression, over=none) %}
    {#- over: a window (e.g. a running sum); none for a group aggregate. -#}
    {%- set scaled = 'round((' ~ expression ~ ') * 1e12)' -%}
    {%- set window = (' over (' ~ over ~ ')') if over else '' -%}
    case
        when max(abs({{ expression }})){{ window }} < 1e12
            then
                cast(sum(cast({{ scaled }} as decimal(38, 0))){{ window }} as {{ type_double() }}) / 1e12
                + sum(({{ expression }}) - {{ scaled }} / 1e12){{ window }}
        else sum({{ expression }}){{ window }}
    end
{%- endmacro %}
