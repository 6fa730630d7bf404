{{ config(indexes=mart_indexes(['model_id', 'contact_id', 'company_id', 'rule_id'])) }}

with

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

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

model_entities as (

    select
        scored_at,
        model_id,
        entity_id,
        contact_id,
        company_id
    from {{ ref('int_model_entities') }}

),

final as (

    select
        rule_points.model_id,
        model_entities.contact_id,
        model_entities.company_id,
        rule_points.group_id,
        rule_points.rule_id,
        rule_points.hits,
        rule_points.hit_weight,
        rule_points.points
    from rule_points
    inner join current_score_time
        on rule_points.scored_at = current_score_time.scored_at
    inner join model_entities
        on
            rule_points.scored_at = model_entities.scored_at
            and rule_points.model_id = model_entities.model_id
            and rule_points.entity_id = model_entities.entity_id

)

select * from final
