with

scoring_rules as (

    select
        model_id,
        rule_id,
        rule_value
    from {{ ref('stg_config__scoring_rules') }}
    where rule_value is not null

),

split_values as (

    {{ split_alternatives('scoring_rules', ['model_id', 'rule_id'], 'rule_value') }}

),

final as (

    select
        model_id,
        rule_id,
        alternative_position,
        alternative_text,
        {{ to_number_or_null('alternative_text') }} as alternative_number
    from split_values
    where alternative_text is not null

)

select * from final
