{{ config(materialized='table') }}

-- The sequenced rules (int_sequenced_rules) at every score time: each
-- state of int_rule_sequence_states holds from its score time until the next
-- change, for the contacts applicable then, pooled per entity. One row per
-- score time, model, entity and rule with counted matches (inactivity: with
-- a match so far):
--   hits: the counted matches (frequency: those within within_days);
--   hit_weight: the sum of their decay multipliers (exponential decay:
--     rescaled from the latest score time to this one);
--   last_matched_at: inactivity rules, the latest match at or before it.

{%- set micros_per_day = 86400000000 %}

with

score_times as (

    select
        scored_at,
        score_time_index,
        {{ epoch_microseconds('scored_at') }} as scored_at_us
    from {{ ref('int_score_times') }}

),

rules as (

    select
        model_id,
        rule_id,
        decay,
        decay_days,
        decay_factor
    from {{ ref('int_sequenced_rules') }}
    where is_sequenced

),

sequence_states as (

    select
        model_id,
        rule_id,
        rule_type,
        contact_id,
        score_time_index,
        next_score_time_index,
        hits,
        hit_weight,
        last_matched_at
    from {{ ref('int_rule_sequence_states') }}

),

model_contacts as (

    select
        scored_at,
        model_id,
        contact_id,
        entity_id
    from {{ ref('int_model_contacts') }}

),

find_last_score_time as (

    select max(scored_at_us) as last_scored_at_us
    from score_times

),

hold_states as (

    -- Each state at every score time until the next change.
    select
        score_times.scored_at,
        score_times.scored_at_us,
        sequence_states.model_id,
        sequence_states.rule_id,
        sequence_states.rule_type,
        sequence_states.contact_id,
        sequence_states.hits,
        sequence_states.hit_weight,
        sequence_states.last_matched_at
    from sequence_states
    inner join score_times
        on
            sequence_states.score_time_index <= score_times.score_time_index
            and score_times.score_time_index < coalesce(sequence_states.next_score_time_index, 2147483647)

),

rescale_decay as (

    -- Exponential multipliers are kept as of the latest score time L:
    -- f ^ ((T - o) / d) = f ^ ((L - o) / d) / f ^ ((L - T) / d).
    select
        hold_states.scored_at,
        hold_states.model_id,
        hold_states.rule_id,
        hold_states.rule_type,
        hold_states.contact_id,
        hold_states.hits,
        case
            when rules.decay = 'exponential'
                then hold_states.hit_weight / power(
                        rules.decay_factor,
                        cast(last_score_time.last_scored_at_us - hold_states.scored_at_us as {{ type_double() }})
                        / {{ micros_per_day }} / rules.decay_days
                    )
            when rules.decay = 'step' then hold_states.hit_weight
            else cast(hold_states.hits as {{ type_double() }})
        end as hit_weight,
        hold_states.last_matched_at
    from hold_states
    inner join rules
        on
            hold_states.model_id = rules.model_id
            and hold_states.rule_id = rules.rule_id
    cross join find_last_score_time as last_score_time

),

attach_entities as (

    select
        rescale_decay.*,
        model_contacts.entity_id
    from rescale_decay
    inner join model_contacts
        on
            rescale_decay.scored_at = model_contacts.scored_at
            and rescale_decay.model_id = model_contacts.model_id
            and rescale_decay.contact_id = model_contacts.contact_id

),

pool_per_entity as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        rule_type,
        sum(hits) as hits,
        {{ deterministic_sum('hit_weight') }} as hit_weight,
        max(last_matched_at) as last_matched_at
    from attach_entities
    group by scored_at, model_id, entity_id, rule_id, rule_type

),

final as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        rule_type,
        cast(hits as bigint) as hits,
        cast(hit_weight as {{ type_double() }}) as hit_weight,
        last_matched_at
    from pool_per_entity

)

select * from final
