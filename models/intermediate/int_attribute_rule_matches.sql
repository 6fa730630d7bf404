{{ config(materialized='table') }}

-- Attribute conditions evaluated once per holder (a contact or a company),
-- independent of the score time: int_attribute_rule_points applies each
-- score time's applicable contacts.

with

attribute_rules as (

    select
        model_id,
        rule_id,
        field_entity,
        field_name,
        operator,
        value_number,
        value_lo,
        value_hi
    from {{ ref('stg_config__scoring_rules') }}
    where rule_type = 'attribute'

),

contacts as (

    select
        contact_id,
        company_id
    from {{ ref('stg_crm__contacts') }}

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

    -- Every contact, and every company a contact belongs to. A company
    -- missing from the companies table holds null fields; so does the empty
    -- id '', which stands for "no company" (staging turns empty ids into
    -- null, so no real company has it): only is_not_set matches them.
    select distinct
        'contact' as holder_type,
        contact_id as holder_id
    from contacts

    union all

    select distinct
        'company' as holder_type,
        coalesce(company_id, '') as holder_id
    from contacts

),

attach_values as (

    -- '' stands for "no value": normalized_text makes '' and null alike.
    select
        attribute_rules.model_id,
        attribute_rules.rule_id,
        find_holders.holder_type,
        find_holders.holder_id,
        coalesce(attribute_values.field_value, '') as value_key
    from attribute_rules
    inner join find_holders
        on attribute_rules.field_entity = find_holders.holder_type
    left join attribute_values
        on
            find_holders.holder_type = attribute_values.holder_type
            and find_holders.holder_id = attribute_values.holder_id
            and attribute_rules.field_name = attribute_values.field_name

),

find_distinct_values as (

    -- Conditions are evaluated once per rule and distinct value (titles,
    -- industries and countries repeat across holders), then joined back.
    select distinct
        attach_values.model_id,
        attach_values.rule_id,
        attach_values.value_key,
        attribute_rules.operator,
        attribute_rules.value_number,
        attribute_rules.value_lo,
        attribute_rules.value_hi,
        {{ normalized_text("nullif(attach_values.value_key, '')") }} as subject_text
    from attach_values
    inner join attribute_rules
        on
            attach_values.model_id = attribute_rules.model_id
            and attach_values.rule_id = attribute_rules.rule_id

),

add_subject_numbers as (

    select
        *,
        {{ to_number_or_null('subject_text') }} as subject_number
    from find_distinct_values

),

evaluate_conditions as (

    {{ rule_condition_matches('add_subject_numbers', ['model_id', 'rule_id', 'value_key']) }}

),

final as (

    select
        attach_values.model_id,
        attach_values.rule_id,
        attach_values.holder_type,
        attach_values.holder_id
    from attach_values
    inner join evaluate_conditions
        on
            attach_values.model_id = evaluate_conditions.model_id
            and attach_values.rule_id = evaluate_conditions.rule_id
            and attach_values.value_key = evaluate_conditions.value_key
    where evaluate_conditions.is_match

)

select * from final
