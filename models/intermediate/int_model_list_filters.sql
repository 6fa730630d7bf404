with

scoring_models as (

    select
        model_id,
        include_list,
        exclude_list
    from {{ ref('stg_config__scoring_models') }}

),

split_include_lists as (

    {{ split_alternatives('scoring_models', ['model_id'], 'include_list') }}

),

split_exclude_lists as (

    {{ split_alternatives('scoring_models', ['model_id'], 'exclude_list') }}

),

final as (

    select distinct
        model_id,
        'include' as list_role,
        alternative_text as list_key
    from split_include_lists
    where alternative_text is not null

    union all

    select distinct
        model_id,
        'exclude' as list_role,
        alternative_text as list_key
    from split_exclude_lists
    where alternative_text is not null

)

select * from final
