{{ config(materialized='table') }}

with

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

group_points as (

    select
        scored_at,
        model_id,
        entity_id,
        dimension,
        points
    from {{ ref('int_group_points') }}

),

scoring_models as (

    select
        model_id,
        max_score,
        qualified_threshold
    from {{ ref('stg_config__scoring_models') }}

),

score_tiers as (

    select
        model_id,
        dimension,
        tier,
        min_score
    from {{ ref('stg_config__score_tiers') }}

),

score_calibration as (

    select
        model_id,
        min_score,
        conversion_probability,
        horizon_days,
        fitted_from,
        fitted_to
    from {{ ref('stg_config__score_calibration') }}

),

sum_dimensions as (

    select
        scored_at,
        model_id,
        entity_id,
        {{ deterministic_sum("case when dimension = 'fit' then points else 0 end") }} as fit_points,
        {{ deterministic_sum("case when dimension = 'engagement' then points else 0 end") }} as engagement_points,
        {{ deterministic_sum('points') }} as total_points
    from group_points
    group by scored_at, model_id, entity_id

),

clamp_dimensions as (

    select
        model_entities.scored_at,
        model_entities.model_id,
        model_entities.scope,
        model_entities.entity_id,
        model_entities.contact_id,
        model_entities.company_id,
        model_entities.owner_id,
        scoring_models.qualified_threshold,
        {%- for points_column in ['total_points', 'fit_points', 'engagement_points'] %}
            case
                when coalesce(sum_dimensions.{{ points_column }}, 0) < 0 then 0
                when sum_dimensions.{{ points_column }} > scoring_models.max_score
                    then scoring_models.max_score
                else coalesce(sum_dimensions.{{ points_column }}, 0)
            end as clamped_{{ points_column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from model_entities
    inner join scoring_models
        on model_entities.model_id = scoring_models.model_id
    left join sum_dimensions
        on
            model_entities.scored_at = sum_dimensions.scored_at
            and model_entities.model_id = sum_dimensions.model_id
            and model_entities.entity_id = sum_dimensions.entity_id

),

clamp_and_round as (

    select
        scored_at,
        model_id,
        scope,
        entity_id,
        contact_id,
        company_id,
        owner_id,
        qualified_threshold,
        {{ round_to('clamped_total_points', 2) }} as score,
        {{ round_to('clamped_fit_points', 2) }} as fit_score,
        {{ round_to('clamped_engagement_points', 2) }} as engagement_score
    from clamp_dimensions

),

find_tier_ranges as (

    -- Each tier's range of scores: from its min_score up to the next tier's
    -- of the same model and dimension. Tiers are a few rows, so the ranking
    -- happens here, not per entity and score time (ties in min_score are a
    -- config error; the last tier by name keeps the range).
    select
        model_id,
        dimension,
        tier,
        min_score,
        lead(min_score) over (
            partition by model_id, dimension
            order by min_score, tier
        ) as next_min_score
    from score_tiers

),

find_calibration_ranges as (

    -- The same for calibration bands (one dimension: the score).
    select
        model_id,
        min_score,
        conversion_probability,
        horizon_days,
        fitted_from,
        fitted_to,
        lead(min_score) over (
            partition by model_id
            order by min_score, conversion_probability
        ) as next_min_score
    from score_calibration

),

assign_tiers as (

    -- The tier whose range holds the rounded score, per dimension, and the
    -- calibration band that holds the score.
    select
        clamp_and_round.*,
        score_tier_ranges.tier,
        fit_tier_ranges.tier as fit_tier,
        engagement_tier_ranges.tier as engagement_tier,
        calibration_bands.conversion_probability,
        calibration_bands.horizon_days,
        calibration_bands.fitted_from,
        calibration_bands.fitted_to
    from clamp_and_round
    left join find_tier_ranges as score_tier_ranges
        on
            clamp_and_round.model_id = score_tier_ranges.model_id
            and score_tier_ranges.dimension = 'score'
            and {{ in_score_range('clamp_and_round.score', 'score_tier_ranges') }}
    left join find_tier_ranges as fit_tier_ranges
        on
            clamp_and_round.model_id = fit_tier_ranges.model_id
            and fit_tier_ranges.dimension = 'fit'
            and {{ in_score_range('clamp_and_round.fit_score', 'fit_tier_ranges') }}
    left join find_tier_ranges as engagement_tier_ranges
        on
            clamp_and_round.model_id = engagement_tier_ranges.model_id
            and engagement_tier_ranges.dimension = 'engagement'
            and {{ in_score_range('clamp_and_round.engagement_score', 'engagement_tier_ranges') }}
    left join find_calibration_ranges as calibration_bands
        on
            clamp_and_round.model_id = calibration_bands.model_id
            and {{ in_score_range('clamp_and_round.score', 'calibration_bands') }}

),

final as (

    select
        scored_at,
        model_id,
        scope,
        entity_id,
        contact_id,
        company_id,
        owner_id,
        cast(score as {{ type_double() }}) as score,
        cast(fit_score as {{ type_double() }}) as fit_score,
        cast(engagement_score as {{ type_double() }}) as engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        coalesce(score >= qualified_threshold, false) as is_qualified,
        cast(conversion_probability as {{ type_double() }}) as conversion_probability,
        cast(horizon_days as {{ type_double() }}) as conversion_horizon_days,
        fitted_from as calibrated_from,
        fitted_to as calibrated_to
    from assign_tiers

)

select * from final
