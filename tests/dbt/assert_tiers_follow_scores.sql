-- Each published tier is the configured tier with the largest
-- min_score <= the rounded score of its dimension, and is_qualified is
-- score >= qualified_threshold: at T, in every history snapshot and at
-- every backtest cutoff.

with

published as (

    {{ published_entity_scores(
        ['score', 'fit_score', 'engagement_score', 'tier', 'fit_tier', 'engagement_tier', 'is_qualified'],
        include_snapshots=true
    ) }}

),

unpivoted as (

    select
        scored_at,
        model_id,
        entity_id,
        'score' as dimension,
        score as dimension_score,
        tier
    from published
    union all
    select
        scored_at,
        model_id,
        entity_id,
        'fit' as dimension,
        fit_score as dimension_score,
        fit_tier as tier
    from published
    union all
    select
        scored_at,
        model_id,
        entity_id,
        'engagement' as dimension,
        engagement_score as dimension_score,
        engagement_tier as tier
    from published

),

expected_min_scores as (

    select
        unpivoted.scored_at,
        unpivoted.model_id,
        unpivoted.entity_id,
        unpivoted.dimension,
        max(score_tiers.min_score) as expected_min_score
    from unpivoted
    left join {{ ref('stg_config__score_tiers') }} as score_tiers
        on
            unpivoted.model_id = score_tiers.model_id
            and unpivoted.dimension = score_tiers.dimension
            and score_tiers.min_score <= unpivoted.dimension_score
    group by unpivoted.scored_at, unpivoted.model_id, unpivoted.entity_id, unpivoted.dimension

),

wrong_tiers as (

    select
        unpivoted.scored_at,
        unpivoted.model_id,
        unpivoted.entity_id,
        unpivoted.dimension,
        unpivoted.tier as published_tier,
        score_tiers.tier as expected_tier
    from unpivoted
    inner join expected_min_scores
        on
            unpivoted.scored_at = expected_min_scores.scored_at
            and unpivoted.model_id = expected_min_scores.model_id
            and unpivoted.entity_id = expected_min_scores.entity_id
            and unpivoted.dimension = expected_min_scores.dimension
    left join {{ ref('stg_config__score_tiers') }} as score_tiers
        on
            unpivoted.model_id = score_tiers.model_id
            and unpivoted.dimension = score_tiers.dimension
            and expected_min_scores.expected_min_score = score_tiers.min_score
    where
        coalesce(unpivoted.tier, '<none>') != coalesce(score_tiers.tier, '<none>')

),

wrong_qualification as (

    select
        published.scored_at,
        published.model_id,
        published.entity_id,
        'qualified' as dimension,
        cast(published.is_qualified as {{ dbt.type_string() }}) as published_tier,
        cast(published.score >= scoring_models.qualified_threshold as {{ dbt.type_string() }}) as expected_tier
    from published
    inner join {{ ref('stg_config__scoring_models') }} as scoring_models
        on published.model_id = scoring_models.model_id
    where published.is_qualified != (published.score >= scoring_models.qualified_threshold)

)

select * from wrong_tiers
union all
select * from wrong_qualification
