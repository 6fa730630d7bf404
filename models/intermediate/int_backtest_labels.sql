{{ config(materialized='table') }}

-- The backtest population and its outcome: at each cutoff, every applicable
-- entity that has not converted yet, and whether it converts within the
-- horizon, (cutoff, cutoff + backtest_horizon_days]. Outcomes come only from
-- deals; the features (int_entity_scores, int_rule_points) only from data
-- at or before the cutoff.

with

cutoffs as (

    select
        scored_at,
        outcome_ends_at
    from {{ ref('int_score_times') }}
    where is_backtest_cutoff

),

model_entities as (

    select
        scored_at,
        model_id,
        scope,
        entity_id,
        contact_id,
        company_id,
        owner_id
    from {{ ref('int_model_entities') }}

),

entity_conversions as (

    select
        scope,
        entity_id,
        converted_at
    from {{ ref('int_entity_conversions') }}

),

find_outcomes as (

    select
        model_entities.scored_at,
        cutoffs.outcome_ends_at,
        model_entities.model_id,
        model_entities.entity_id,
        model_entities.contact_id,
        model_entities.company_id,
        model_entities.owner_id,
        max(
            case when entity_conversions.converted_at <= model_entities.scored_at then 1 else 0 end
        ) as had_converted,
        min(
            case
                when
                    entity_conversions.converted_at > model_entities.scored_at
                    and entity_conversions.converted_at <= cutoffs.outcome_ends_at
                    then entity_conversions.converted_at
            end
        ) as converted_at
    from model_entities
    inner join cutoffs
        on model_entities.scored_at = cutoffs.scored_at
    left join entity_conversions
        on
            model_entities.scope = entity_conversions.scope
            and model_entities.entity_id = entity_conversions.entity_id
    group by
        model_entities.scored_at,
        cutoffs.outcome_ends_at,
        model_entities.model_id,
        model_entities.entity_id,
        model_entities.contact_id,
        model_entities.company_id,
        model_entities.owner_id

),

final as (

    select
        scored_at,
        outcome_ends_at,
        model_id,
        entity_id,
        contact_id,
        company_id,
        owner_id,
        converted_at,
        converted_at is not null as has_converted
    from find_outcomes
    where had_converted = 0

)

select * from final
