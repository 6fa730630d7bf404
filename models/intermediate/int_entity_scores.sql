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

unpivot_dimensions as (

    select
        scored_at,
        model_id,
        entity_id,
        'score' as dimension,
        score as dimension_score
    from clamp_and_round
    union all
    select
        scored_at,
        model_id,
        entity_id,
        'fit' as dimension,
        fit_score as dimension_score
    from clamp_and_round
    union all
    select
        scored_at,
        model_id,
        entity_id,
        'engagement' as dimension,
        engagement_score as dimension_score
    from clamp_and_round

),

rank_tiers as (

    -- The tier with the largest min_score <= the rounded score.
    select
        unpivot_dimensions.scored_at,
        unpivot_dimensions.model_id,
        unpivot_dimensions.entity_id,
        unpivot_dimensions.dimension,
        score_tiers.tier,
        row_number() over (
            partition by
                unpivot_dimensions.scored_at,
                unpivot_dimensions.model_id,
                unpivot_dimensions.entity_id,
                unpivot_dimensions.dimension
            order by score_tiers.min_score desc
        ) as tier_rank
    from unpivot_dimensions
    inner join score_tiers
        on
            unpivot_dimensions.model_id = score_tiers.model_id
            and unpivot_dimensions.dimension = score_tiers.dimension
            and unpivot_dimensions.dimension_score >= score_tiers.min_score

),

rank_calibration_bands as (

    -- The calibration band with the largest min_score <= the rounded score.
    select
        clamp_and_round.scored_at,
        clamp_and_round.model_id,
        clamp_and_round.entity_id,
        score_calibration.conversion_probability,
        score_calibration.horizon_days,
        score_calibration.fitted_from,
        score_calibration.fitted_to,
        row_number() over (
            partition by clamp_and_round.scored_at, clamp_and_round.model_id, clamp_and_round.entity_id
            order by score_calibration.min_score desc
        ) as band_rank
    from clamp_and_round
    inner join score_calibration
        on
            clamp_and_round.model_id = score_calibration.model_id
            and clamp_and_round.score >= score_calibration.min_score

),

pivot_tiers as (

    select
        scored_at,
        model_id,
        entity_id,
        max(case when dimension = 'score' then tier end) as tier,
        max(case when dimension = 'fit' then tier end) as fit_tier,
        max(case when dimension = 'engagement' then tier end) as engagement_tier
    from rank_tiers
    where tier_rank = 1
    group by scored_at, model_id, entity_id

),

final as (

    select
        clamp_and_round.scored_at,
        clamp_and_round.model_id,
        clamp_and_round.scope,
        clamp_and_round.entity_id,
        clamp_and_round.contact_id,
        clamp_and_round.company_id,
        clamp_and_round.owner_id,
        cast(clamp_and_round.score as {{ type_double() }}) as score,
        cast(clamp_and_round.fit_score as {{ type_double() }}) as fit_score,
        cast(clamp_and_round.engagement_score as {{ type_double() }}) as engagement_score,
        pivot_tiers.tier,
        pivot_tiers.fit_tier,
        pivot_tiers.engagement_tier,
        coalesce(clamp_and_round.score >= clamp_and_round.qualified_threshold, false) as is_qualified,
        cast(rank_calibration_bands.conversion_probability as {{ type_double() }}) as conversion_probability,
        cast(rank_calibration_bands.horizon_days as {{ type_double() }}) as conversion_horizon_days,
        rank_calibration_bands.fitted_from as calibrated_from,
        rank_calibration_bands.fitted_to as calibrated_to
    from clamp_and_round
    left join pivot_tiers
        on
            clamp_and_round.scored_at = pivot_tiers.scored_at
            and clamp_and_round.model_id = pivot_tiers.model_id
            and clamp_and_round.entity_id = pivot_tiers.entity_id
    left join rank_calibration_bands
        on
            clamp_and_round.scored_at = rank_calibration_bands.scored_at
            and clamp_and_round.model_id = rank_calibration_bands.model_id
            and clamp_and_round.entity_id = rank_calibration_bands.entity_id
            and rank_calibration_bands.band_rank = 1

)

select * from final
