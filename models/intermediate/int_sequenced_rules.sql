{{ config(materialized='table') }}

-- Which event, frequency and inactivity rules are scored from sequences
-- (int_rule_sequence_states: cost follows the matches and the score times)
-- and which are expanded over every score time (int_entity_event_matches).
-- A rule is sequenced when its value at a score time is a sum (or, for
-- inactivity, a latest time) over its matches, each counting from its
-- occurred_at until a moment known in advance:
--   contact models: every event, frequency and inactivity rule (a reset of
--     the contact, a window, max_count later matches or within_days end a
--     match's life);
--   company models: inactivity rules; event rules without max_count and
--     frequency rules when the model has no reset rule (max_count ranks, and
--     resets cut, the pooled hits of several contacts: those stay expanded).
-- Decay must keep the numbers finite over the span of the score times:
-- exponential decay with decay_factor <= 1 and at most a 1e-260 fall over the
-- span; step decay with at most 100 steps over it. Other rules are expanded,
-- and so is every rule when the var sequenced_rules_enabled is false or T is
-- the only score time (expanding each match once costs no more).

{%- set micros_per_day = 86400000000 %}

with

score_times as (

    select {{ epoch_microseconds('scored_at') }} as scored_at_us
    from {{ ref('int_score_times') }}

),

scoring_models as (

    select
        model_id,
        scope
    from {{ ref('stg_config__scoring_models') }}

),

rules as (

    select
        model_id,
        rule_id,
        rule_type,
        max_count,
        window_days,
        decay,
        decay_days,
        decay_factor,
        within_days
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type in ('event', 'frequency', 'inactivity', 'reset')

),

signatures as (

    select
        model_id,
        rule_id,
        matcher_signature
    from {{ ref('int_event_rule_signatures') }}

),

measure_score_time_span as (

    select
        count(*) as score_time_count,
        cast(max(scored_at_us) - min(scored_at_us) as {{ type_double() }}) / {{ micros_per_day }}
            as span_days
    from score_times

),

find_models_with_resets as (

    select distinct model_id
    from rules
    where rule_type = 'reset'

),

decide_sequencing as (

    select
        rules.model_id,
        rules.rule_id,
        rules.rule_type,
        signatures.matcher_signature,
        rules.max_count,
        rules.window_days,
        rules.decay,
        rules.decay_days,
        rules.decay_factor,
        rules.within_days,
        {{ 'true' if boolean_var('sequenced_rules_enabled') else 'false' }}
        and span.score_time_count > 1
        and rules.rule_type <> 'reset'
        and case
            when scoring_models.scope = 'contact' then true
            when scoring_models.scope = 'company'
                then
                    rules.rule_type = 'inactivity'
                    or (
                        find_models_with_resets.model_id is null
                        and (rules.rule_type = 'frequency' or rules.max_count is null)
                    )
            else false
        end
        and case
            when rules.rule_type <> 'event' or rules.decay = 'none' then true
            when rules.decay_factor <= 0 or rules.decay_factor > 1 or rules.decay_days <= 0 then false
            when rules.decay = 'exponential'
                then -ln(rules.decay_factor) / rules.decay_days * span.span_days <= 600
            when rules.decay = 'step'
                then span.span_days / rules.decay_days <= 100
            else false
        end as is_sequenced
    from rules
    inner join scoring_models
        on rules.model_id = scoring_models.model_id
    inner join signatures
        on
            rules.model_id = signatures.model_id
            and rules.rule_id = signatures.rule_id
    left join find_models_with_resets
        on rules.model_id = find_models_with_resets.model_id
    cross join measure_score_time_span as span

),

final as (

    select * from decide_sequencing

)

select * from final
