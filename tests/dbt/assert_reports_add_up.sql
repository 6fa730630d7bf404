-- The report marts agree with the tables they summarise: per model, the
-- tiers of each tiered dimension hold every scored entity, the lifecycle
-- stages every lead, the deal stages every deal, the sales lists every
-- qualified lead, and the rules' shares of points add up to 1.

with

scores as (

    {{ current_scores() }}

),

count_scored as (

    select
        model_id,
        count(*) as entities,
        sum(case when scope = 'contact' then 1 else 0 end) as leads,
        sum(case when scope = 'contact' and is_qualified then 1 else 0 end) as qualified_leads
    from scores
    group by model_id

),

scoring_models as (

    select model_id
    from {{ ref('stg_config__scoring_models') }}

),

expected as (

    select
        scoring_models.model_id,
        coalesce(count_scored.entities, 0) as entities,
        coalesce(count_scored.leads, 0) as leads,
        coalesce(count_scored.qualified_leads, 0) as qualified_leads
    from scoring_models
    left join count_scored
        on scoring_models.model_id = count_scored.model_id

),

tier_totals as (

    select
        model_id,
        dimension,
        sum(entities) as entities
    from {{ ref('tier_distribution') }}
    group by
        model_id,
        dimension

),

stage_totals as (

    select
        model_id,
        sum(leads) as leads
    from {{ ref('scores_by_lifecycle_stage') }}
    group by model_id

),

owner_totals as (

    select
        model_id,
        count(*) as leads
    from {{ ref('qualified_leads_by_owner') }}
    group by model_id

),

deal_totals as (

    select
        model_id,
        sum(deals) as deals
    from {{ ref('scores_by_deal_stage') }}
    group by model_id

),

count_deals as (

    select count(*) as deals
    from {{ ref('stg_crm__deals') }}

),

share_totals as (

    select
        model_id,
        sum(share_of_points) as share_of_points
    from {{ ref('rule_hit_rates') }}
    group by model_id

),

problems as (

    select
        tier_totals.model_id,
        'tier_distribution: ' || tier_totals.dimension || ' tiers miss entities' as problem
    from tier_totals
    inner join expected
        on tier_totals.model_id = expected.model_id
    where tier_totals.entities != expected.entities

    union all

    select
        expected.model_id,
        'scores_by_lifecycle_stage misses leads' as problem
    from expected
    left join stage_totals
        on expected.model_id = stage_totals.model_id
    where coalesce(stage_totals.leads, 0) != expected.leads

    union all

    select
        expected.model_id,
        'qualified_leads_by_owner misses qualified leads' as problem
    from expected
    left join owner_totals
        on expected.model_id = owner_totals.model_id
    where coalesce(owner_totals.leads, 0) != expected.qualified_leads

    union all

    select
        deal_totals.model_id,
        'scores_by_deal_stage misses deals' as problem
    from deal_totals
    cross join count_deals
    where deal_totals.deals != count_deals.deals

    union all

    select
        model_id,
        'rule_hit_rates: shares of points add up to ' || cast(share_of_points as {{ dbt.type_string() }})
            as problem
    from share_totals
    where share_of_points is not null and abs(share_of_points - 1) > 0.000001

)

select * from problems
