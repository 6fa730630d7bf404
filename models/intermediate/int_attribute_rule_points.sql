{{ config(materialized='table') }}

-- A table, not a view: several data tests and the next model read it at
-- every score time, and would each re-run its joins (docs/performance.md).

with

attribute_rules as (

    select
        model_id,
        rule_id,
        group_id,
        points
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type = 'attribute'

),

model_contacts as (

    select
        scored_at,
        model_id,
        entity_id,
        contact_id,
        company_id
    from {{ ref('int_model_contacts') }}

),

attribute_matches as (

    select
        model_id,
        rule_id,
        holder_type,
        holder_id
    from {{ ref('int_attribute_rule_matches') }}

),

find_entity_holders as (

    -- Who holds the fields of an entity: its contacts and their company (a
    -- contact.* rule hits a company entity when any applicable contact
    -- matches). A contact without a company is held by '' ("no company",
    -- see int_attribute_rule_matches).
    select
        scored_at,
        model_id,
        entity_id,
        'contact' as holder_type,
        contact_id as holder_id
    from model_contacts

    union all

    select
        scored_at,
        model_id,
        entity_id,
        'company' as holder_type,
        coalesce(company_id, '') as holder_id
    from model_contacts

),

find_hits as (

    select distinct
        find_entity_holders.scored_at,
        find_entity_holders.model_id,
        find_entity_holders.entity_id,
        attribute_matches.rule_id
    from find_entity_holders
    inner join attribute_matches
        on
            find_entity_holders.model_id = attribute_matches.model_id
            and find_entity_holders.holder_type = attribute_matches.holder_type
            and find_entity_holders.holder_id = attribute_matches.holder_id

),

final as (

    select
        find_hits.scored_at,
        find_hits.model_id,
        find_hits.entity_id,
        find_hits.rule_id,
        attribute_rules.group_id,
        1 as hits,
        cast(1 as {{ type_double() }}) as hit_weight,
        attribute_rules.points
    from find_hits
    inner join attribute_rules
        on
            find_hits.model_id = attribute_rules.model_id
            and find_hits.rule_id = attribute_rules.rule_id

)

select * from final
