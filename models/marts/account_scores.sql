with

entity_scores as (

    select
        model_id,
        scope,
        company_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified,
        scored_at
    from {{ ref('int_entity_scores') }}

),

final as (

    select
        model_id,
        company_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified,
        scored_at
    from entity_scores
    where scope = 'company'

)

select * from final
