with

scoring_models as (

    select
        model_id,
        description,
        scope,
        max_score,
        qualified_threshold,
        include_list,
        exclude_list
    from {{ checked_seed('scoring_models') }}

),

final as (

    select
        {{ clean_text('model_id') }} as model_id,
        {{ clean_text('description') }} as description,
        {{ normalized_text('scope') }} as scope,
        {{ clean_text('max_score') }} as max_score_text,
        coalesce({{ to_number_or_null('max_score') }}, 100) as max_score,
        {{ clean_text('qualified_threshold') }} as qualified_threshold_text,
        {{ to_number_or_null('qualified_threshold') }} as qualified_threshold,
        {{ clean_text('include_list') }} as include_list,
        {{ clean_text('exclude_list') }} as exclude_list
    from scoring_models

)

select * from final
