{#
    Generic data tests (hub packages are not reachable, so the project keeps
    its own). Each returns the failing rows.
#}

{#
    No two rows share the same values of `combination_of_columns`. With
    `latest_run_column` (the watermark of an incremental model, see
    scoped_tests.sql) only the keys of the latest run's rows are checked,
    each counted over the whole table (keys must then be non-null); when
    every row is from one run (a rebuild), all keys are checked the plain way.
#}
{% test unique_combination_of_columns(model, combination_of_columns, latest_run_column=none) %}
    {%- if latest_run_column and not test_whole_tables() and written_by_several_runs(model, latest_run_column) %}
    {#- `model` is read twice rather than through one CTE, which DuckDB
        would materialize whole. #}
    {#- The newest watermark as a literal, so the latest run's rows are read
        without scanning the older runs' row groups. #}
    {%- set newest = queried_timestamp_literal('select max(' ~ latest_run_column ~ ') from ' ~ model) %}
    with

    select_latest_run_keys as (

        select distinct
            {%- for column in combination_of_columns %}
            latest_run.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from (select * from {{ model }}) as latest_run
        where coalesce(latest_run.{{ latest_run_column }} >= {{ newest }}, 1 = 1)

    )

    select
        {%- for column in combination_of_columns %}
        tested.{{ column }},
        {%- endfor %}
        count(*) as duplicate_rows
    from (select * from {{ model }}) as tested
    inner join select_latest_run_keys
        on
        {%- for column in combination_of_columns %}
            {{ 'and ' if not loop.first }}tested.{{ column }} = select_latest_run_keys.{{ column }}
        {%- endfor %}
    group by
        {%- for column in combination_of_columns %}
        tested.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    having count(*) > 1
    {%- else %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicate_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
    {%- endif %}
{% endtest %}

{#
    Every row satisfies the SQL boolean `expression` (null counts as a
    failure). Under a column, the expression follows the column name
    (`expression: ">= 0"`).
#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ column_name ~ ' ' if column_name else '' }}{{ expression }}, false)
{% endtest %}

{#
    Every non-null value of column_name is a tier that score_tiers defines for
    the row's model and `dimension`.
#}
{% test is_configured_tier(model, column_name, dimension) %}
    select scored.*
    from {{ model }} as scored
    where
        scored.{{ column_name }} is not null
        and not exists (
            select 1
            from {{ ref('stg_config__score_tiers') }} as tiers
            where
                tiers.model_id = scored.model_id
                and tiers.dimension = '{{ dimension }}'
                and tiers.tier = scored.{{ column_name }}
        )
{% endtest %}

{# Every value of column_name is at most the max_score of the row's scoring model. #}
{% test at_most_max_score(model, column_name) %}
    select scored.*
    from {{ model }} as scored
    inner join {{ ref('stg_config__scoring_models') }} as scoring_models
        on scored.model_id = scoring_models.model_id
    where scored.{{ column_name }} > scoring_models.max_score
{% endtest %}

{#
    points = the rule's configured points * hit_weight (up to float
    rounding): the identity that lets a backtest re-weight rules.
#}
{% test points_are_rule_points_times_hit_weight(model) %}
    select hits.*
    from {{ model }} as hits
    inner join {{ ref('stg_config__scoring_rules') }} as rules
        on
            hits.model_id = rules.model_id
            and hits.rule_id = rules.rule_id
    where abs(hits.points - coalesce(rules.points, 0) * hits.hit_weight) > 0.000001
{% endtest %}

{#
    Every non-null value of column_name is a tier that score_tiers defines for
    the row's model and the dimension in the row's `dimension` column.
#}
{% test is_configured_tier_of_row_dimension(model, column_name) %}
    select reported.*
    from {{ model }} as reported
    where
        reported.{{ column_name }} is not null
        and not exists (
            select 1
            from {{ ref('stg_config__score_tiers') }} as tiers
            where
                tiers.model_id = reported.model_id
                and tiers.dimension = reported.dimension
                and tiers.tier = reported.{{ column_name }}
        )
{% endtest %}
