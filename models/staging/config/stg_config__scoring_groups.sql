with

scoring_groups as (

    select
        model_id,
        group_id,
        dimension,
        max_points
    from {{ checked_seed('scoring_groups') }}

),

final as (

    select
        {{ clean_text('model_id') }} as model_id,
        {{ clean_text('group_id') }} as group_id,
        {{ normalized_text('dimension') }} as dimension,
        {{ clean_text('max_points') }} as max_points_text,
        {{ to_number_or_null('max_points') }} as max_points
    from scoring_groups

)

select * from final
