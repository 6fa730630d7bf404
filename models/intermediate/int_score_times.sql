{#-
    Every instant this build scores: T (the `as_of` var), the history
    snapshots and the backtest cutoffs (see score_time_grid). The instants
    come from parsed vars, never from user text.
-#}
{%- set grid = score_time_grid() -%}

with

score_times as (

    {% for entry in grid %}
        select
            {{ timestamp_literal(entry.scored_at) }} as scored_at,
            {{ 'true' if entry.is_current else 'false' }} as is_current,
            {{ 'true' if entry.is_history_snapshot else 'false' }} as is_history_snapshot,
            {{ 'true' if entry.is_backtest_cutoff else 'false' }} as is_backtest_cutoff,
            {{ timestamp_literal(entry.outcome_ends_at) }} as outcome_ends_at,
            {{ loop.index }} as score_time_index,
            {{ timestamp_literal(grid[loop.index0 - 1].scored_at if not loop.first else none) }} as previous_scored_at
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select * from score_times

)

select * from final
