{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook=[
        "{{ forget_stale_event_matches('matchers') }}",
        "{{ forget_stale_event_matches('events') }}",
    ],
    post_hook="{{ prune_matcher_records() }}",
) }}

-- Events matched to the matchers (event type and optional url/detail
-- condition) of the event, frequency, inactivity and reset rules: one row per
-- matcher and event, shared by the rules with that matcher
-- (int_event_rule_signatures). Independent of the score time
-- (int_entity_event_matches applies each score time and the rules, so
-- events after T may be here), so history, backtests and the next days' runs
-- reuse the matching.
--
-- Incremental (docs/performance.md). matched_through records the newest
-- stg_crm__events.loaded_at a run has matched. A run matches:
--   the events loaded since (new, late or re-delivered ones) against every
--   matcher, after its pre-hook forgot the old matches of those event_ids;
--   every event against the matchers it has not matched yet (a new or
--   changed rule), after the pre-hook forgot matchers no rule uses any more.
-- One row per matcher with a null event_id records that the matcher is
-- matched through matched_through (the only way to remember one that
-- matches nothing); downstream models read event_id is not null. A run adds
-- a record only where the matcher has none for the new watermark, and its
-- post-hook drops the older ones, so a repeated or resumed run adds nothing.

{%- set events_relation = ref('stg_crm__events') %}
{%- set read_all = incremental_rebuild_required(events_relation, 'loaded_at', 'matched_through') %}
{%- set match_every_event = read_all or rules_to_match_in_full() %}
{#- The watermark before this run, queried once and written in as a literal
    (a typed null on a rebuild), so the filter below is applied in the scan
    of the staged events: through a join with the watermark's subquery, a
    run without new events took 21.8 s of node time at 100M events, 4.3 s
    with the literal. -#}
{%- set watermark = previous_watermark('matched_through', read_all) %}

with

event_rules as (

    -- One row per matcher; its first rule names the alternatives (every rule
    -- of a matcher has the same value, so the same ones).
    select
        matcher_signature,
        model_id,
        rule_id,
        event_type,
        field_name,
        operator,
        value_number,
        value_lo,
        value_hi
    from (
        select
            *,
            row_number() over (
                partition by matcher_signature order by model_id, rule_id
            ) as representative_rank
        from {{ ref('int_event_rule_signatures') }}
    ) as ranked_rules
    where representative_rank = 1

),

events as (

    select
        event_id,
        contact_id,
        event_type,
        occurred_at,
        url,
        detail,
        loaded_at
    from {{ events_relation }}
    {%- if not match_every_event %}
    where loaded_at > {{ watermark }}
    {%- endif %}

),

choose_work as (

    -- Matchers already matched through the watermark need the new events
    -- only; a new one (a new or changed rule) needs every event.
    select
        event_rules.*,
        {{ unmatched_matcher_condition('event_rules.matcher_signature', read_all) }} as is_all_events
    from event_rules

),

find_watermark as (

    select
        {{ watermark }} as previous_watermark,
        -- Without new events, the watermark stays (only new events are read
        -- unless some matcher is new).
        coalesce(max(loaded_at), {{ watermark }})
            as matched_through
    from events

),

select_events as (

    -- The events loaded since the watermark (all on a rebuild), for every
    -- matcher; when some matcher is new, every other event too, for the new
    -- matchers only.
    select
        events.*,
        find_watermark.matched_through,
        coalesce(events.loaded_at <= find_watermark.previous_watermark, false) as is_for_new_rules_only
    from events
    cross join find_watermark
    where
        {{ 'true' if match_every_event else 'false' }}
        or find_watermark.previous_watermark is null
        or events.loaded_at > find_watermark.previous_watermark

),

find_event_types as (

    select distinct event_type
    from select_events

),

expand_rule_event_types as (

    -- The event types each matcher watches: its own, or every type when it
    -- has none (a small join, so the big one below is an equality join).
    select
        choose_work.*,
        find_event_types.event_type as watched_event_type
    from choose_work
    inner join find_event_types
        on
            choose_work.event_type = find_event_types.event_type
            or choose_work.event_type is null

),

match_event_types as (

    -- Matchers without a condition: every event of the watched type.
    select
        event_rules.matcher_signature,
        select_events.contact_id,
        select_events.event_id,
        select_events.occurred_at,
        select_events.matched_through
    from select_events
    inner join expand_rule_event_types as event_rules
        on select_events.event_type = event_rules.watched_event_type
    where
        event_rules.operator is null
        and (event_rules.is_all_events or not select_events.is_for_new_rules_only)

),

find_condition_fields as (

    select distinct
        watched_event_type,
        field_name
    from expand_rule_event_types
    where operator is not null

),

pick_field_values as (

    -- The url and the detail of the events that a conditional matcher
    -- watches, one row per event and field. '' stands for "no value"
    -- (staging turns '' into null, so no event has it).
    select
        select_events.event_id,
        select_events.contact_id,
        select_events.event_type,
        select_events.occurred_at,
        select_events.matched_through,
        select_events.is_for_new_rules_only,
        field_names.field_name,
        coalesce(
            case field_names.field_name
                when 'url' then select_events.url
                when 'detail' then select_events.detail
            end,
            ''
        ) as value_key
    from select_events
    inner join find_condition_fields as field_names
        on select_events.event_type = field_names.watched_event_type

),

find_distinct_subjects as (

    -- Conditions are evaluated once per matcher and distinct value (URLs
    -- and details repeat across events), then joined back on equality.
    select distinct
        event_type,
        field_name,
        value_key
    from pick_field_values

),

attach_conditions as (

    select
        event_rules.model_id,
        event_rules.rule_id,
        event_rules.matcher_signature,
        event_rules.is_all_events,
        find_distinct_subjects.event_type,
        find_distinct_subjects.field_name,
        find_distinct_subjects.value_key,
        event_rules.operator,
        event_rules.value_number,
        event_rules.value_lo,
        event_rules.value_hi,
        {{ normalized_text("nullif(find_distinct_subjects.value_key, '')") }} as subject_text
    from find_distinct_subjects
    inner join expand_rule_event_types as event_rules
        on
            find_distinct_subjects.event_type = event_rules.watched_event_type
            and find_distinct_subjects.field_name = event_rules.field_name
    where event_rules.operator is not null

),

add_subject_numbers as (

    select
        *,
        {{ to_number_or_null('subject_text') }} as subject_number
    from attach_conditions

),

evaluate_conditions as (

    {{ rule_condition_matches(
        'add_subject_numbers',
        ['model_id', 'rule_id', 'matcher_signature', 'is_all_events', 'event_type', 'field_name', 'value_key']
    ) }}

),

match_conditions as (

    -- The events whose field holds a value that satisfies the condition.
    select
        evaluate_conditions.matcher_signature,
        pick_field_values.contact_id,
        pick_field_values.event_id,
        pick_field_values.occurred_at,
        pick_field_values.matched_through
    from pick_field_values
    inner join evaluate_conditions
        on
            pick_field_values.event_type = evaluate_conditions.event_type
            and pick_field_values.field_name = evaluate_conditions.field_name
            and pick_field_values.value_key = evaluate_conditions.value_key
    where
        evaluate_conditions.is_match
        and (evaluate_conditions.is_all_events or not pick_field_values.is_for_new_rules_only)

),

combine_matches as (

    select * from match_event_types

    union all

    select * from match_conditions

    union all

    -- This run's record of every current matcher (unless already recorded).
    select
        event_rules.matcher_signature,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        cast(null as {{ dbt.type_string() }}) as event_id,
        cast(null as {{ dbt.type_timestamp() }}) as occurred_at,
        find_watermark.matched_through
    from event_rules
    cross join find_watermark
    {%- if not read_all %}
    where not exists (
        select 1
        from {{ this }} as recorded
        where
            recorded.event_id is null
            and recorded.matcher_signature = event_rules.matcher_signature
            and recorded.matched_through = find_watermark.matched_through
    )
    {%- endif %}

),

final as (

    select * from combine_matches

)

select * from final
