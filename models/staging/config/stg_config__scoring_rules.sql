{%- set numeric_columns = [
    'points', 'max_count', 'window_days', 'decay_days', 'decay_factor', 'min_events', 'within_days'
] -%}

with

scoring_rules as (

    select
        model_id,
        rule_id,
        group_id,
        description,
        rule_type,
        field,
        event_type,
        operator,
        value,
        {%- for column in numeric_columns %}
            {{ column }},
        {%- endfor %}
        decay
    from {{ checked_seed('scoring_rules') }}

),

cleaned as (

    select
        {{ clean_text('model_id') }} as model_id,
        {{ clean_text('rule_id') }} as rule_id,
        {{ clean_text('group_id') }} as group_id,
        {{ clean_text('description') }} as description,
        {{ normalized_text('rule_type') }} as rule_type,
        {{ normalized_text('field') }} as field,
        {{ normalized_text('event_type') }} as event_type,
        {{ normalized_text('operator') }} as operator,
        {{ clean_text('value') }} as rule_value,
        {%- for column in numeric_columns %}
            {{ clean_text(column) }} as {{ column }}_text,
            {{ to_number_or_null(column) }} as {{ column }},
        {%- endfor %}
        {{ normalized_text('decay') }} as decay_text,
        coalesce({{ normalized_text('decay') }}, 'none') as decay
    from scoring_rules

),

split_field as (

    -- `contact.job_title` -> field_entity `contact`, field_name `job_title`.
    select
        *,
        case
            when {{ dbt.position("'.'", 'field') }} > 1
                then {{ dbt.split_part('field', "'.'", 1) }}
        end as field_entity,
        case
            when {{ dbt.position("'.'", 'field') }} > 1
                then {{ clean_text(dbt.right('field', dbt.length('field') ~ ' - ' ~ dbt.position("'.'", 'field'))) }}
        end as field_name
    from cleaned

),

final as (

    select
        *,
        -- The numeric value of gt/gte/lt/lte, and the bounds of between.
        {{ to_number_or_null('rule_value') }} as value_number,
        case
            when operator = 'between'
                then {{ to_number_or_null(split_part_at('rule_value', '|', 1)) }}
        end as value_lo,
        case
            when operator = 'between'
                then {{ to_number_or_null(split_part_at('rule_value', '|', 2)) }}
        end as value_hi
    from split_field

)

select * from final
