{{ config(indexes=mart_indexes(['model_id', 'cutoff_at', 'contact_id', 'company_id', 'rule_id'])) }}

with

backtest_labels as (

    select
        scored_at,
        model_id,
        entity_id,
        contact_id,
        company_id
    from {{ ref('int_backtest_labels') }}

),

rule_points as (

    select
        scored_at,
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        hit_weight,
        points
    from {{ ref('int_rule_points') }}

),

final as (

    select
        backtest_labels.scored_at as cutoff_at,
        backtest_labels.model_id,
        backtest_labels.contact_id,
        backtest_labels.company_id,
        rule_points.group_id,
        rule_points.rule_id,
        rule_points.hits,
        rule_points.hit_weight,
        rule_points.points
    from backtest_labels
    inner join rule_points
        on
            backtest_labels.scored_at = rule_points.scored_at
            and backtest_labels.model_id = rule_points.model_id
            and backtest_labels.entity_id = rule_points.entity_id

)

select * from final
