{#
    Incremental state (docs/performance.md): event-level models keep what
    they computed and process only rows loaded since their last run.

    Each incremental model records a watermark (the newest upstream load it
    has processed) in one of its own columns. When the upstream's oldest row
    is newer than that watermark, the upstream was replaced rather than
    appended to (a full reload of the raw table), so the model starts over:
    its pre-hook empties it and its body reads everything.
#}

{#
    True when the incremental model `this` must be rebuilt from scratch
    instead of extended: it is empty or lacks its watermark column (built by
    an older version), the upstream lacks the watermark column, or the
    upstream's oldest row is newer than `this`'s watermark.
#}
{% macro incremental_rebuild_required(upstream, upstream_column, watermark_column) %}
    {%- if not is_incremental_run() -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set upstream_columns = adapter.get_columns_in_relation(upstream) | map(attribute='name') | map('lower') | list -%}
    {%- if upstream_column | lower not in upstream_columns -%}
        {{- log('leadscore: ' ~ this ~ ' is rebuilt: ' ~ upstream ~ ' has no ' ~ upstream_column ~ ' column', info=true) -}}
        {{- return(true) -}}
    {%- endif -%}
    {%- set own_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if watermark_column | lower not in own_columns -%}
        {{- log('leadscore: ' ~ this ~ ' is rebuilt: it has no ' ~ watermark_column ~ ' column (built by an older version)', info=true) -}}
        {{- return(true) -}}
    {%- endif -%}
    {%- set check -%}
        select
            (select max({{ watermark_column }}) from {{ this }}) as watermark,
            (select min({{ upstream_column }}) from {{ upstream }}) as oldest_upstream
    {%- endset -%}
    {%- set row = run_query(check).rows[0] -%}
    {%- if row[0] is none -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- if row[1] is not none and row[1] > row[0] -%}
        {{- log('leadscore: ' ~ this ~ ' is rebuilt: every row of ' ~ upstream ~ ' is newer than its watermark ' ~ row[0] ~ ' (the upstream was replaced)', info=true) -}}
        {{- return(true) -}}
    {%- endif -%}
    {{- return(false) -}}
{% endmacro %}

{# Pre-hook of an incremental model: empty it when it must be rebuilt. #}
{% macro clear_for_rebuild(upstream, upstream_column, watermark_column) %}
    {%- if is_incremental_run() and incremental_rebuild_required(upstream, upstream_column, watermark_column) -%}
        delete from {{ this }}
    {%- else -%}
        select 1 as nothing_to_clear
    {%- endif -%}
{% endmacro %}

{#
    The watermark of `this` before this run (null when empty), as a literal
    (queried_timestamp_literal, below), so that every filter on it is pushed
    into the scan. It is queried when the model or hook is rendered: the
    model's SQL before its pre-hooks run, so their deletes cannot move it.
#}
{% macro incremental_watermark(watermark_column) %}
    {{- queried_timestamp_literal('select max(' ~ watermark_column ~ ') from ' ~ this) -}}
{% endmacro %}

{#
    `columns` as a list of SQL expressions `<length>:<text>` (`null:` for
    null), ready for dbt.concat: an unambiguous serialisation to hash.
#}
{% macro length_prefixed_parts(columns) %}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first -%}{%- do parts.append("'/'") -%}{%- endif -%}
        {%- do parts.append("coalesce(cast(length(" ~ column ~ ") as " ~ dbt.type_string() ~ "), 'null')") -%}
        {%- do parts.append("':'") -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '')") -%}
    {%- endfor -%}
    {{- return(parts) -}}
{% endmacro %}

{#
    Pre-hooks of int_event_rule_matches: before a run adds matches, forget the
    ones it will redo or that no longer hold: everything when the model is
    rebuilt; else (`forget` = 'matchers') the matches of matchers no current
    rule has (changed or removed rules), and (`forget` = 'events') those of
    event_ids loaded again since the watermark (re-delivered event_ids are
    matched again in their winning version). Two statements, not one with
    `or`: an `or` made every run probe every stored match (1.4 s at 10M
    events), while the re-delivered event_ids are usually none, and a
    semi-join with nothing to look up reads no stored row.
#}
{% macro forget_stale_event_matches(forget) %}
    {%- if not is_incremental_run() -%}
        select 1 as nothing_to_forget
    {%- elif incremental_rebuild_required(ref('stg_crm__events'), 'loaded_at', 'matched_through') -%}
        delete from {{ this }}
    {%- elif forget == 'matchers' -%}
        delete from {{ this }}
        where matcher_signature not in (
            select current_rules.matcher_signature
            from {{ ref('int_event_rule_signatures') }} as current_rules
        )
    {%- elif forget == 'events' -%}
        {%- set watermark = incremental_watermark('matched_through') %}
        delete from {{ this }}
        where event_id in (
            -- Only an event_id staged by an earlier load can have stored
            -- matches.
            select changed.event_id
            from {{ ref('stg_crm__events') }} as changed
            where
                changed.loaded_at > {{ watermark }}
                and changed.first_loaded_at <= {{ watermark }}
        )
    {%- else -%}
        {{ exceptions.raise_compiler_error("forget_stale_event_matches: forget is 'matchers' or 'events', not " ~ forget) }}
    {%- endif -%}
{% endmacro %}

{# is_incremental(), false where there is no relation to extend (unit tests). #}
{% macro is_incremental_run() %}
    {{- return(execute and this is not none and is_incremental()) -}}
{% endmacro %}

{#
    True when some current matcher of int_event_rule_matches has not been
    matched yet (a new or changed rule): the run must then read every event
    for those matchers. Without any, a run reads only the new events.
#}
{% macro rules_to_match_in_full() %}
    {%- if not is_incremental_run() -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set check -%}
        select count(distinct matcher_signature)
        from {{ ref('int_event_rule_signatures') }}
        where matcher_signature not in (
            select recorded.matcher_signature
            from {{ this }} as recorded
            where recorded.event_id is null
        )
    {%- endset -%}
    {%- set count = run_query(check).columns[0].values()[0] -%}
    {%- if count > 0 -%}
        {{- log('leadscore: ' ~ this ~ ': ' ~ count ~ ' new matcher(s) (new or changed rules) are matched over every event', info=true) -}}
    {%- endif -%}
    {{- return(count > 0) -}}
{% endmacro %}

{#
    int_event_rule_matches: whether a matcher has not been matched yet (on a
    rebuild, every one), as a boolean SQL expression on `matcher_column`.
#}
{% macro unmatched_matcher_condition(matcher_column, read_all) %}
    {%- if read_all -%}
        true
    {%- else -%}
        {{ matcher_column }} not in (select recorded.matcher_signature from {{ this }} as recorded where recorded.event_id is null)
    {%- endif -%}
{% endmacro %}

{# The watermark of `this` before this run, or a typed null on a rebuild. #}
{% macro previous_watermark(watermark_column, read_all) %}
    {%- if read_all -%}
        cast(null as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ incremental_watermark(watermark_column) }}
    {%- endif -%}
{% endmacro %}

{#
    int_event_match_sequences: the stored matcher and contact pairs that hold
    an event loaded again since the watermark (none on a rebuild).
#}
{% macro stored_groups_with_reloaded_events(read_all) %}
    {%- if read_all -%}
        select
            cast(null as {{ dbt.type_string() }}) as matcher_signature,
            cast(null as {{ dbt.type_string() }}) as contact_id
        from {{ ref('int_event_rule_signatures') }}
        where 1 = 0
    {%- else -%}
        {%- set watermark = incremental_watermark('sequenced_through') %}
        select distinct
            stored.matcher_signature,
            stored.contact_id
        from {{ this }} as stored
        inner join (
            -- Event_ids staged by an earlier load and loaded again since
            -- (usually none: then the join reads no stored row).
            select changed.event_id
            from {{ ref('stg_crm__events') }} as changed
            where
                changed.loaded_at > {{ watermark }}
                and changed.first_loaded_at <= {{ watermark }}
        ) as reloaded
            on stored.event_id = reloaded.event_id
    {%- endif -%}
{% endmacro %}

{#
    Pre-hook of int_event_match_sequences: empty it on a rebuild; else drop
    the pairs of matchers no current rule has.
#}
{% macro forget_stale_match_sequences() %}
    {%- if not is_incremental_run() -%}
        select 1 as nothing_to_forget
    {%- elif incremental_rebuild_required(ref('int_event_rule_matches'), 'matched_through', 'sequenced_through') -%}
        delete from {{ this }}
    {%- else -%}
        delete from {{ this }}
        where matcher_signature not in (
            select current_rules.matcher_signature
            from {{ ref('int_event_rule_signatures') }} as current_rules
        )
    {%- endif -%}
{% endmacro %}

{#
    Post-hook of int_event_rule_matches: keep only the newest record row
    (event_id null) of each matcher. Every run records every current matcher
    at the run's watermark, so the older records say nothing more; without
    this, each run would add one row per matcher.
#}
{% macro prune_matcher_records() %}
    {%- if is_incremental_run() -%}
        delete from {{ this }}
        where
            event_id is null
            and matched_through < (
                select max(newest.matched_through)
                from {{ this }} as newest
                where newest.event_id is null
            )
    {%- else -%}
        select 1 as nothing_to_prune
    {%- endif -%}
{% endmacro %}

{#
    int_event_match_sequences: the latest stored match of each stored matcher
    and contact pair (none on a rebuild).
#}
{% macro stored_latest_sequence_rows(read_all) %}
    {%- if read_all -%}
        select
            cast(null as {{ dbt.type_string() }}) as matcher_signature,
            cast(null as {{ dbt.type_string() }}) as contact_id,
            cast(null as {{ dbt.type_string() }}) as event_id,
            cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
            cast(null as {{ dbt.type_bigint() }}) as match_number
        from {{ ref('int_event_rule_signatures') }}
        where 1 = 0
    {%- else -%}
        select
            stored.matcher_signature,
            stored.contact_id,
            stored.event_id,
            stored.occurred_at,
            stored.match_number
        from {{ this }} as stored
        where stored.event_id is not null and stored.next_occurred_at is null
    {%- endif -%}
{% endmacro %}

{#
    The watermark of the run before the latest one that wrote `relation`,
    as a scalar subquery: the newest `watermark_column` below the newest
    (null when every row carries the newest: after a rebuild, or before a
    second run). Rows loaded after it upstream were all read by the latest
    run, or by runs whose every row the latest run rewrote, so "loaded after
    it" is a superset of the latest run's loads that is exact for checks
    and idempotent for re-derivation (stg_crm__row_issues,
    assert_raw_rows_are_staged_or_reported). A fragment on the relation it
    is given.
#}
{% macro watermark_before_latest_run(relation, watermark_column) %}
    (
        select max(older.{{ watermark_column }})
        from {{ relation }} as older
        where older.{{ watermark_column }} < (
            select max(newest.{{ watermark_column }}) from {{ relation }} as newest
        )
    )
{% endmacro %}

{#
    Pre-hook of stg_crm__row_issues: forget the rows this run derives again,
    those of every raw table but events, and those of the events loaded
    after `events_watermark` (a scalar subquery; null: every event); every
    row when the table predates its loaded_at column.
#}
{% macro forget_rederived_row_issues(events_watermark) %}
    {%- if is_incremental_run() and optional_source_column(this, 'loaded_at', dbt.type_timestamp()) != 'loaded_at' -%}
        delete from {{ this }}
    {%- elif is_incremental_run() -%}
        delete from {{ this }}
        where
            table_name <> 'events'
            or loaded_at is null
            or coalesce(loaded_at > {{ events_watermark }}, true)
    {%- else -%}
        select 1 as nothing_to_forget
    {%- endif -%}
{% endmacro %}

{#
    The timestamp `query` returns (one row, one column), run at execution
    time and written into the SQL as a literal (timestamp_literal: a typed
    null when it returns null, and at parse time). A filter on a literal is pushed into the scan
    (DuckDB skips the row groups of older loads by their min/max); a filter
    on a scalar subquery is planned as a join with its result, after the
    scan and after conditions pushed below it. At 100M events the body of
    stg_crm__row_issues took 17 s that way (its checks ran on every raw
    event) and 2.8 s with the literal; int_event_rule_matches, on a run
    without new events, 21.8 s and 4.3 s of node time.
#}
{% macro queried_timestamp_literal(query) %}
    {%- if not execute -%}
        {{- return(timestamp_literal(none)) -}}
    {%- endif -%}
    {{- return(timestamp_literal(run_query(query).columns[0].values()[0])) -}}
{% endmacro %}

{#
    The rows of a raw `relation` (the given columns and loaded_at, a typed
    null where the table has none) loaded after `watermark` (a timestamp
    literal; none: every row, as are rows without loaded_at). A fragment on
    the relation it is given: stg_crm__row_issues and the raw reconciliation
    read the latest loads of raw events through it.
#}
{% macro rows_loaded_after(relation, columns, watermark) %}
    (
        select
            {%- for column in columns %}
            {{ column }},
            {%- endfor %}
            {{ optional_source_column(relation, 'loaded_at', dbt.type_timestamp()) }} as loaded_at
        from {{ relation }}
    ) as raw_rows
    {%- if watermark %}
    where coalesce(raw_rows.loaded_at > {{ watermark }}, true)
    {%- endif %}
{% endmacro %}
