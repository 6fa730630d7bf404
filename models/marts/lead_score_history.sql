{{ config(indexes=mart_indexes(['model_id', 'contact_id', 'company_id', 'scored_at'])) }}

with

history_times as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_history_snapshot

),

entity_scores as (

    select
        scored_at,
        model_id,
        contact_id,
        company_id,
        owner_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified
    from {{ ref('int_entity_scores') }}

),

final as (

    select
        entity_scores.scored_at,
        cast(entity_scores.scored_at as date) as snapshot_date,
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
        entity_scores.is_qualified
    from entity_scores
    inner join history_times
        on entity_scores.scored_at = history_times.scored_at

)

select * from final
