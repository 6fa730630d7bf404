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
        rule_type,
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

number_rules as (

    -- Small integer keys for the few rules and models: the rows below are one
    -- per state and score time (tens of millions at scale), and grouping them
    -- by integers rather than by names keeps the hash tables small.
    select
        model_id,
        rule_id,
        rule_type,
        decay,
        decay_days,
        decay_factor,
        row_number() over (order by model_id, rule_id) as rule_key,
        dense_rank() over (order by model_id) as model_key
    from rules

),

list_models as (

    select distinct
        model_id,
        model_key
    from number_rules

),

key_model_contacts as (

    select
        model_contacts.scored_at,
        list_models.model_key,
        model_contacts.contact_id,
        model_contacts.entity_id
    from model_contacts
    inner join list_models
        on model_contacts.model_id = list_models.model_id

),

hold_states as (

    -- Each state at every score time until the next change.
    select
        score_times.scored_at,
        score_times.scored_at_us,
        number_rules.rule_key,
        number_rules.model_key,
        number_rules.decay,
        number_rules.decay_days,
        number_rules.decay_factor,
        sequence_states.contact_id,
        sequence_states.hits,
        sequence_states.hit_weight,
        sequence_states.last_matched_at
    from sequence_states
    inner join number_rules
        on
            sequence_states.model_id = number_rules.model_id
            and sequence_states.rule_id = number_rules.rule_id
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
        hold_states.rule_key,
        hold_states.model_key,
        hold_states.contact_id,
        hold_states.hits,
        case
            when hold_states.decay = 'exponential'
                then hold_states.hit_weight / power(
                        hold_states.decay_factor,
                        cast(last_score_time.last_scored_at_us - hold_states.scored_at_us as {{ type_double() }})
                        / {{ micros_per_day }} / hold_states.decay_days
                    )
            when hold_states.decay = 'step' then hold_states.hit_weight
            else cast(hold_states.hits as {{ type_double() }})
        end as hit_weight,
        hold_states.last_matched_at
    from hold_states
    cross join find_last_score_time as last_score_time

),

attach_entities as (

    select
        rescale_decay.*,
        key_model_contacts.entity_id
    from rescale_decay
    inner join key_model_contacts
        on
            rescale_decay.scored_at = key_model_contacts.scored_at
            and rescale_decay.model_key = key_model_contacts.model_key
            and rescale_decay.contact_id = key_model_contacts.contact_id

),

pool_per_entity as (

    select
        scored_at,
        rule_key,
        entity_id,
        sum(hits) as hits,
        {{ deterministic_sum('hit_weight') }} as hit_weight,
        max(last_matched_at) as last_matched_at
    from attach_entities
    group by scored_at, rule_key, entity_id

),

final as (

    select
        pool_per_entity.scored_at,
        number_rules.model_id,
        pool_per_entity.entity_id,
        number_rules.rule_id,
        number_rules.rule_type,
        cast(pool_per_entity.hits as bigint) as hits,
        cast(pool_per_entity.hit_weight as {{ type_double() }}) as hit_weight,
        pool_per_entity.last_matched_at
    from pool_per_entity
    inner join number_rules
        on pool_per_entity.rule_key = number_rules.rule_key

)

select * from final
