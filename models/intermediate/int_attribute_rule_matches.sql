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

    select
        attribute_rules.model_id,
        attribute_rules.rule_id,
        find_holders.holder_type,
        find_holders.holder_id,
        attribute_rules.operator,
        attribute_rules.value_number,
        attribute_rules.value_lo,
        attribute_rules.value_hi,
        {{ normalized_text('attribute_values.field_value') }} as subject_text,
        {{ to_number_or_null('attribute_values.field_value') }} as subject_number
    from attribute_rules
    inner join find_holders
        on attribute_rules.field_entity = find_holders.holder_type
    left join attribute_values
        on
            find_holders.holder_type = attribute_values.holder_type
            and find_holders.holder_id = attribute_values.holder_id
            and attribute_rules.field_name = attribute_values.field_name

),

evaluate_conditions as (

    {{ rule_condition_matches('attach_values', ['model_id', 'rule_id', 'holder_type', 'holder_id']) }}

),

final as (

    select
        model_id,
        rule_id,
        holder_type,
        holder_id
    from evaluate_conditions
    where is_match

)

select * from final
