with

score_tiers as (

    select
        model_id,
        dimension,
        tier,
        min_score
    from {{ checked_seed('score_tiers') }}

),

final as (

    select
        {{ clean_text('model_id') }} as model_id,
        {{ normalized_text('dimension') }} as dimension,
        {{ clean_text('tier') }} as tier,
        {{ clean_text('min_score') }} as min_score_text,
        {{ to_number_or_null('min_score') }} as min_score
    from score_tiers

)

select * from final
