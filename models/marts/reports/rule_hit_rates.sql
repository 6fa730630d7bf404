{#-
    Which rules fire, how often and how much they weigh: per model and rule
    (every configured rule, also one that never fires), the entities it hits
    at T, its hits, its points (after decay, before group caps) and its share
    of the model's absolute points.
-#}

with

rules as (

    select
        model_id,
        rule_id,
        group_id,
        rule_type,
        description,
        points as rule_points
    from {{ ref('stg_config__scoring_rules') }}

),

scoring_models as (

    select
        model_id,
        scope
    from {{ ref('stg_config__scoring_models') }}

),

scores as (

    {{ current_scores() }}

),

rule_hits as (

    select
        model_id,
        contact_id,
        company_id,
        rule_id,
        hits,
        points
    from {{ ref('lead_score_rule_hits') }}

),

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

),

count_entities as (

    select
        model_id,
        count(*) as scored_entities
    from scores
    group by model_id

),

aggregate_hits as (

    select
        model_id,
        rule_id,
        count(distinct coalesce(contact_id, company_id)) as entities_hit,
        sum(hits) as hits,
        {{ deterministic_sum("points") }} as total_points
    from rule_hits
    where hits > 0
    group by
        model_id,
        rule_id

),

join_rules as (

    select
        rules.model_id,
        scoring_models.scope,
        rules.rule_id,
        rules.group_id,
        rules.rule_type,
        rules.description,
        rules.rule_points,
        coalesce(count_entities.scored_entities, 0) as scored_entities,
        coalesce(aggregate_hits.entities_hit, 0) as entities_hit,
        coalesce(aggregate_hits.hits, 0) as hits,
        coalesce(aggregate_hits.total_points, 0) as total_points
    from rules
    inner join scoring_models
        on rules.model_id = scoring_models.model_id
    left join count_entities
        on rules.model_id = count_entities.model_id
    left join aggregate_hits
        on
            rules.model_id = aggregate_hits.model_id
            and rules.rule_id = aggregate_hits.rule_id

),

sum_model_points as (

    select
        model_id,
        {{ deterministic_sum("abs(total_points)") }} as model_absolute_points
    from join_rules
    group by model_id

),

final as (

    select
        join_rules.model_id,
        join_rules.scope,
        join_rules.rule_id,
        join_rules.group_id,
        join_rules.rule_type,
        join_rules.description,
        join_rules.rule_points,
        join_rules.scored_entities,
        join_rules.entities_hit,
        {{ share_of('join_rules.entities_hit', 'join_rules.scored_entities') }} as hit_rate,
        join_rules.hits,
        join_rules.total_points,
        {{ share_of('abs(join_rules.total_points)', 'sum_model_points.model_absolute_points') }}
            as share_of_points,
        join_rules.entities_hit > 0 as has_fired,
        current_score_time.scored_at
    from join_rules
    inner join sum_model_points
        on join_rules.model_id = sum_model_points.model_id
    cross join current_score_time

)

select * from final
