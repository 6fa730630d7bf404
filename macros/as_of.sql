{#
    Score times.

    T comes from the `as_of` var (ISO-8601; an offset or `Z` is converted to
    UTC; a date alone means midnight UTC). When `as_of` is empty, T is the
    start of the dbt invocation (`run_started_at`), so every model of one
    build scores at the same instant. Vars are parsed here and re-rendered
    from the parsed values, so no user text reaches the SQL.

    Besides T, one build scores a grid of past instants (`score_time_grid`):
    the history snapshots of `lead_score_history` and the cutoffs of the
    backtest. Every scoring model is keyed by `scored_at`, so a snapshot is
    computed by exactly the code that computes the current scores.
#}

{# A var holding an ISO-8601 timestamp, as a naive UTC datetime (none when empty). #}
{% macro timestamp_var(name) %}
    {%- set raw_value = var(name, '') -%}
    {%- if raw_value is none or (raw_value | string | trim) == '' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set text = raw_value | string | trim -%}
    {%- if text[-1:] in ['z', 'Z'] -%}
        {%- set text = text[:-1] ~ '+00:00' -%}
    {%- endif -%}
    {%- set ns = namespace(parsed=none) -%}
    {%- if modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?([+-][0-9]{2}:?[0-9]{2})?)?$', text) -%}
        {%- set ns.parsed = modules.datetime.datetime.fromisoformat(text) -%}
    {%- endif -%}
    {%- if ns.parsed is none -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' = '" ~ raw_value ~ "' is not an ISO-8601 timestamp; "
            ~ "use e.g. 2026-06-30 or 2026-06-30T12:00:00Z"
        ) }}
    {%- endif -%}
    {%- set parsed = ns.parsed -%}
    {%- if parsed.tzinfo is not none -%}
        {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{- return(parsed) -}}
{% endmacro %}

{# A var holding a whole number of days >= minimum. #}
{% macro days_var(name, minimum) %}
    {%- set raw_value = var(name) -%}
    {%- set text = raw_value | string | trim -%}
    {%- if not modules.re.match('^[0-9]+$', text) or (text | int) < minimum -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' = '" ~ raw_value ~ "' must be a whole number of days >= " ~ minimum
        ) }}
    {%- endif -%}
    {{- return(text | int) -}}
{% endmacro %}

{# A var holding true/false. #}
{% macro boolean_var(name) %}
    {%- set text = var(name) | string | trim | lower -%}
    {%- if text not in ['true', 'false'] -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' = '" ~ var(name) ~ "' must be true or false"
        ) }}
    {%- endif -%}
    {{- return(text == 'true') -}}
{% endmacro %}

{% macro as_of_datetime() %}
    {%- set parsed = timestamp_var('as_of') -%}
    {%- if parsed is none -%}
        {%- set parsed = run_started_at -%}
        {%- if parsed.tzinfo is not none -%}
            {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
        {%- endif -%}
    {%- endif -%}
    {{- return(parsed) -}}
{% endmacro %}

{# A naive UTC datetime as a SQL timestamp literal. #}
{% macro timestamp_literal(value) %}
    {%- if value is none -%}
        cast(null as {{ dbt.type_timestamp() }})
    {%- else -%}
        cast('{{ value.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{% macro as_of_timestamp() %}
    {{- timestamp_literal(as_of_datetime()) -}}
{%- endmacro %}

{#
    The instants end, end - step, end - 2 step, ... down to start (inclusive),
    oldest first. `what` names the grid in error messages.
#}
{% macro instants_between(start, end, step_days, what) %}
    {%- if start > end -%}
        {{ exceptions.raise_compiler_error(
            what ~ ": the start " ~ start ~ " is after the end " ~ end ~ "; swap them"
        ) }}
    {%- endif -%}
    {%- set span_days = (end - start).total_seconds() / 86400 -%}
    {%- set count = (span_days / step_days) | int + 1 -%}
    {%- if count > 1000 -%}
        {{ exceptions.raise_compiler_error(
            what ~ ": " ~ count ~ " instants from " ~ start ~ " to " ~ end ~ " every "
            ~ step_days ~ " days; at most 1000 per build: use a larger step or a shorter range"
        ) }}
    {%- endif -%}
    {%- set instants = [] -%}
    {%- for k in range(count) | reverse -%}
        {%- do instants.append(end - modules.datetime.timedelta(days=k * step_days)) -%}
    {%- endfor -%}
    {{- return(instants) -}}
{% endmacro %}

{#
    Every instant one build scores, oldest first: a list of dicts with
    scored_at, is_current (= T), is_history_snapshot, is_backtest_cutoff and
    outcome_ends_at (cutoff + horizon, for cutoffs). Vars (see
    dbt_project.yml): history_enabled, history_start, history_end,
    history_step_days; backtest_enabled, backtest_start, backtest_end,
    backtest_step_days, backtest_horizon_days.
#}
{% macro score_time_grid() %}
    {%- set as_of = as_of_datetime() -%}
    {%- set days = modules.datetime.timedelta(days=1) -%}
    {%- set times = {} -%}
    {%- do times.update({as_of: {'is_current': true, 'is_history_snapshot': false,
        'is_backtest_cutoff': false, 'outcome_ends_at': none}}) -%}

    {%- if boolean_var('history_enabled') -%}
        {%- set step = days_var('history_step_days', 1) -%}
        {%- set end = timestamp_var('history_end') or as_of -%}
        {%- if end > as_of -%}
            {{ exceptions.raise_compiler_error(
                "var 'history_end' = " ~ end ~ " is after as_of " ~ as_of
                ~ ": the history cannot look into the future; leave it empty to end at as_of"
            ) }}
        {%- endif -%}
        {%- set start = timestamp_var('history_start') or (end - 28 * days) -%}
        {%- for instant in instants_between(start, end, step, 'history (vars history_start, history_end, history_step_days)') -%}
            {%- set entry = times.get(instant, {'is_current': false, 'is_history_snapshot': false,
                'is_backtest_cutoff': false, 'outcome_ends_at': none}) -%}
            {%- do entry.update({'is_history_snapshot': true}) -%}
            {%- do times.update({instant: entry}) -%}
        {%- endfor -%}
    {%- endif -%}

    {%- if boolean_var('backtest_enabled') -%}
        {%- set step = days_var('backtest_step_days', 1) -%}
        {%- set horizon = days_var('backtest_horizon_days', 1) -%}
        {%- set end = timestamp_var('backtest_end') or (as_of - horizon * days) -%}
        {%- if end + horizon * days > as_of -%}
            {{ exceptions.raise_compiler_error(
                "var 'backtest_end' = " ~ end ~ " plus backtest_horizon_days = " ~ horizon
                ~ " is after as_of " ~ as_of ~ ": outcomes of the last cutoffs are not known yet; "
                ~ "set backtest_end to at most " ~ (as_of - horizon * days) ~ " or leave it empty"
            ) }}
        {%- endif -%}
        {%- set start = timestamp_var('backtest_start') or (end - 360 * days) -%}
        {%- for instant in instants_between(start, end, step, 'backtest cutoffs (vars backtest_start, backtest_end, backtest_step_days)') -%}
            {%- set entry = times.get(instant, {'is_current': false, 'is_history_snapshot': false,
                'is_backtest_cutoff': false, 'outcome_ends_at': none}) -%}
            {%- do entry.update({'is_backtest_cutoff': true, 'outcome_ends_at': instant + horizon * days}) -%}
            {%- do times.update({instant: entry}) -%}
        {%- endfor -%}
    {%- endif -%}

    {%- set grid = [] -%}
    {%- for instant in times.keys() | sort -%}
        {%- set entry = times[instant] -%}
        {%- do entry.update({'scored_at': instant}) -%}
        {%- do grid.append(entry) -%}
    {%- endfor -%}
    {{- return(grid) -}}
{% endmacro %}
