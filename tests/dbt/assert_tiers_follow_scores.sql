-- Each published tier is the configured tier with the largest
-- min_score <= the rounded score of its dimension, and is_qualified is
-- score >= qualified_threshold: at T, in every history snapshot and at
-- every backtest cutoff.
--
-- Tiers depend on the scores only, so each distinct combination of a
-- model's scores, tiers and flag is checked once (a few thousand
-- combinations, however many entities and score times): one pass over the
-- published rows that groups on low-cardinality columns, instead of a
-- range join and a regrouping per entity and score time (at 10M events the
-- default build's grids publish 4.5M rows: 24.6 s of node time that way).
-- A wrong combination is returned with how many rows hold it, the
-- earliest score time and the smallest entity_id among them.

with

published as (

    {{ published_entity_scores(
        ['score', 'fit_score', 'engagement_score', 'tier', 'fit_tier', 'engagement_tier', 'is_qualified'],
        include_snapshots=true
    ) }}

),

find_combinations as (

    select
        model_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified,
        count(*) as published_rows,
        min(scored_at) as example_scored_at,
        min(entity_id) as example_entity_id
    from published
    group by
        model_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified

),

unpivot_dimensions as (

    select
        model_id,
        'score' as dimension,
        score as dimension_score,
        tier,
        published_rows,
        example_scored_at,
        example_entity_id
    from find_combinations

    union all

    select
        model_id,
        'fit' as dimension,
        fit_score as dimension_score,
        fit_tier as tier,
        published_rows,
        example_scored_at,
        example_entity_id
    from find_combinations

    union all

    select
        model_id,
        'engagement' as dimension,
        engagement_score as dimension_score,
        engagement_tier as tier,
        published_rows,
        example_scored_at,
        example_entity_id
    from find_combinations

),

summarize_dimensions as (

    select
        model_id,
        dimension,
        dimension_score,
        tier,
        sum(published_rows) as published_rows,
        min(example_scored_at) as example_scored_at,
        min(example_entity_id) as example_entity_id
    from unpivot_dimensions
    group by
        model_id,
        dimension,
        dimension_score,
        tier

),

find_expected_min_scores as (

    select
        summarize_dimensions.model_id,
        summarize_dimensions.dimension,
        summarize_dimensions.dimension_score,
        summarize_dimensions.tier,
        summarize_dimensions.published_rows,
        summarize_dimensions.example_scored_at,
        summarize_dimensions.example_entity_id,
        max(score_tiers.min_score) as expected_min_score
    from summarize_dimensions
    left join {{ ref('stg_config__score_tiers') }} as score_tiers
        on
            summarize_dimensions.model_id = score_tiers.model_id
            and summarize_dimensions.dimension = score_tiers.dimension
            and score_tiers.min_score <= summarize_dimensions.dimension_score
    group by
        summarize_dimensions.model_id,
        summarize_dimensions.dimension,
        summarize_dimensions.dimension_score,
        summarize_dimensions.tier,
        summarize_dimensions.published_rows,
        summarize_dimensions.example_scored_at,
        summarize_dimensions.example_entity_id

),

find_wrong_tiers as (

    select
        find_expected_min_scores.example_scored_at as scored_at,
        find_expected_min_scores.model_id,
        find_expected_min_scores.example_entity_id as entity_id,
        find_expected_min_scores.dimension,
        find_expected_min_scores.dimension_score,
        find_expected_min_scores.published_rows,
        find_expected_min_scores.tier as published_tier,
        score_tiers.tier as expected_tier
    from find_expected_min_scores
    left join {{ ref('stg_config__score_tiers') }} as score_tiers
        on
            find_expected_min_scores.model_id = score_tiers.model_id
            and find_expected_min_scores.dimension = score_tiers.dimension
            and find_expected_min_scores.expected_min_score = score_tiers.min_score
    where
        coalesce(find_expected_min_scores.tier, '<none>') != coalesce(score_tiers.tier, '<none>')

),

find_wrong_qualification as (

    select
        find_combinations.example_scored_at as scored_at,
        find_combinations.model_id,
        find_combinations.example_entity_id as entity_id,
        'qualified' as dimension,
        find_combinations.score as dimension_score,
        find_combinations.published_rows,
        cast(find_combinations.is_qualified as {{ dbt.type_string() }}) as published_tier,
        cast(find_combinations.score >= scoring_models.qualified_threshold as {{ dbt.type_string() }})
            as expected_tier
    from find_combinations
    inner join {{ ref('stg_config__scoring_models') }} as scoring_models
        on find_combinations.model_id = scoring_models.model_id
    where
        find_combinations.is_qualified != (find_combinations.score >= scoring_models.qualified_threshold)

)

select * from find_wrong_tiers
union all
select * from find_wrong_qualification
