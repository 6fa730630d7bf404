{#-
    Deals by stage with the current score of what they belong to: the deal's
    contact in contact models, its company in company models. Every deal is
    counted; scored_deals says how many have a scored contact or company.
-#}

with

scores as (

    {{ current_scores() }}

),

scoring_models as (

    select
        model_id,
        scope
    from {{ ref('stg_config__scoring_models') }}

),

deals as (

    select
        deal_id,
        company_id,
        contact_id,
        stage,
        amount,
        is_won
    from {{ ref('stg_crm__deals') }}

),

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

),

pair_deals_with_models as (

    select
        scoring_models.model_id,
        scoring_models.scope,
        deals.deal_id,
        deals.stage,
        deals.amount,
        deals.is_won,
        case
            when scoring_models.scope = 'contact' then deals.contact_id
            else deals.company_id
        end as entity_id
    from scoring_models
    cross join deals

),

join_scores as (

    select
        pair_deals_with_models.model_id,
        pair_deals_with_models.scope,
        pair_deals_with_models.stage,
        pair_deals_with_models.amount,
        pair_deals_with_models.is_won,
        scores.entity_id as scored_entity_id,
        scores.score,
        scores.is_qualified
    from pair_deals_with_models
    left join scores
        on
            pair_deals_with_models.model_id = scores.model_id
            and pair_deals_with_models.entity_id = scores.entity_id

),

aggregate_stages as (

    select
        model_id,
        scope,
        stage as deal_stage,
        count(*) as deals,
        sum(case when is_won then 1 else 0 end) as won_deals,
        {{ deterministic_sum("amount") }} as total_amount,
        count(scored_entity_id) as scored_deals,
        count(distinct scored_entity_id) as scored_entities,
        sum(case when is_qualified then 1 else 0 end) as qualified_deals,
        {{ deterministic_avg("score") }} as average_score
    from join_scores
    group by
        model_id,
        scope,
        stage

),

final as (

    select
        aggregate_stages.model_id,
        aggregate_stages.scope,
        aggregate_stages.deal_stage,
        aggregate_stages.deals,
        aggregate_stages.won_deals,
        aggregate_stages.total_amount,
        aggregate_stages.scored_deals,
        aggregate_stages.scored_entities,
        aggregate_stages.qualified_deals,
        {{ share_of('aggregate_stages.qualified_deals', 'aggregate_stages.scored_deals') }}
            as qualified_rate,
        aggregate_stages.average_score,
        current_score_time.scored_at
    from aggregate_stages
    cross join current_score_time

)

select * from final
