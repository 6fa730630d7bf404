{{ config(indexes=mart_indexes(['model_id', 'cutoff_at', 'contact_id', 'company_id'])) }}

with

backtest_labels as (

    select
        scored_at,
        outcome_ends_at,
        model_id,
        entity_id,
        contact_id,
        company_id,
        owner_id,
        has_converted,
        converted_at
    from {{ ref('int_backtest_labels') }}

),

entity_scores as (

    select
        scored_at,
        model_id,
        entity_id,
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
        backtest_labels.scored_at as cutoff_at,
        backtest_labels.outcome_ends_at,
        backtest_labels.model_id,
        backtest_labels.contact_id,
        backtest_labels.company_id,
        backtest_labels.owner_id,
        entity_scores.score,
        entity_scores.fit_score,
        entity_scores.engagement_score,
        entity_scores.tier,
        entity_scores.fit_tier,
        entity_scores.engagement_tier,
        entity_scores.is_qualified,
        backtest_labels.has_converted,
        backtest_labels.converted_at
    from backtest_labels
    inner join entity_scores
        on
            backtest_labels.scored_at = entity_scores.scored_at
            and backtest_labels.model_id = entity_scores.model_id
            and backtest_labels.entity_id = entity_scores.entity_id

)

select * from final
