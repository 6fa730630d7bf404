with

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

),

entity_scores as (

    select
        model_id,
        scope,
        contact_id,
        company_id,
        owner_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified,
        conversion_probability,
        conversion_horizon_days,
        calibrated_from,
        calibrated_to,
        scored_at
    from {{ ref('int_entity_scores') }}

),

final as (

    select
        entity_scores.model_id,
        entity_scores.contact_id,
        entity_scores.company_id,
        entity_scores.owner_id,
        entity_scores.score,
        entity_scores.fit_score,
        entity_scores.engagement_score,
        entity_scores.tier,
        entity_scores.fit_tier,
        entity_scores.engagement_tier,
        entity_scores.is_qualified,
        entity_scores.scored_at,
        entity_scores.conversion_probability,
        entity_scores.conversion_horizon_days,
        entity_scores.calibrated_from,
        entity_scores.calibrated_to
    from entity_scores
    inner join current_score_time
        on entity_scores.scored_at = current_score_time.scored_at
    where entity_scores.scope = 'contact'

)

select * from final
