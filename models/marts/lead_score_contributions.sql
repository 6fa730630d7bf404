with

rule_points as (

    select
        model_id,
        entity_id,
        rule_id,
        group_id,
        hits,
        points
    from {{ ref('int_rule_points') }}

),

model_entities as (

    select
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
        rule_points.points
    from rule_points
    inner join model_entities
        on
            rule_points.model_id = model_entities.model_id
            and rule_points.entity_id = model_entities.entity_id
    where rule_points.points != 0

)

select * from final
