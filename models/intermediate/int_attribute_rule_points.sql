with

attribute_rules as (

    select
        model_id,
        rule_id,
        group_id,
        field_entity,
        field_name,
        operator,
        value_number,
        value_lo,
        value_hi,
        points
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type = 'attribute'

),

model_contacts as (

    select
        model_id,
        entity_id,
        contact_id,
        company_id
    from {{ ref('int_model_contacts') }}

),

attribute_values as (

    select
        holder_type,
        holder_id,
        field_name,
        field_value
    from {{ ref('int_attribute_values') }}

),

find_holders as (

    -- Who holds the field for an entity: the contact or its company in a
    -- contact model; the company, or each applicable contact, in a company
    -- model (a contact.* rule hits a company when any contact matches).
    select distinct
        model_contacts.model_id,
        attribute_rules.rule_id,
        model_contacts.entity_id,
        attribute_rules.field_entity,
        attribute_rules.field_name,
        case attribute_rules.field_entity
            when 'contact' then model_contacts.contact_id
            else model_contacts.company_id
        end as holder_id
    from model_contacts
    inner join attribute_rules
        on model_contacts.model_id = attribute_rules.model_id

),

attach_values as (

    select
        find_holders.model_id,
        find_holders.rule_id,
        find_holders.entity_id,
        find_holders.holder_id,
        attribute_rules.operator,
        attribute_rules.value_number,
        attribute_rules.value_lo,
        attribute_rules.value_hi,
        {{ normalized_text('attribute_values.field_value') }} as subject_text,
        {{ to_number_or_null('attribute_values.field_value') }} as subject_number
    from find_holders
    inner join attribute_rules
        on
            find_holders.model_id = attribute_rules.model_id
            and find_holders.rule_id = attribute_rules.rule_id
    left join attribute_values
        on
            find_holders.field_entity = attribute_values.holder_type
            and find_holders.holder_id = attribute_values.holder_id
            and find_holders.field_name = attribute_values.field_name

),

evaluate_conditions as (

    {{ rule_condition_matches('attach_values', ['model_id', 'rule_id', 'entity_id', 'holder_id']) }}

),

find_hits as (

    select
        model_id,
        rule_id,
        entity_id
    from evaluate_conditions
    group by model_id, rule_id, entity_id
    having max(case when is_match then 1 else 0 end) = 1

),

final as (

    select
        find_hits.model_id,
        find_hits.entity_id,
        find_hits.rule_id,
        attribute_rules.group_id,
        1 as hits,
        attribute_rules.points
    from find_hits
    inner join attribute_rules
        on
            find_hits.model_id = attribute_rules.model_id
            and find_hits.rule_id = attribute_rules.rule_id

)

select * from final
