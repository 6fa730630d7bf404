with

score_calibration as (

    select
        model_id,
        min_score,
        conversion_probability,
        horizon_days,
        fitted_from,
        fitted_to,
        observations,
        conversions
    from {{ checked_seed('score_calibration') }}

),

final as (

    select
        {{ clean_text('model_id') }} as model_id,
        {{ clean_text('min_score') }} as min_score_text,
        {{ to_number_or_null('min_score') }} as min_score,
        {{ clean_text('conversion_probability') }} as conversion_probability_text,
        {{ to_number_or_null('conversion_probability') }} as conversion_probability,
        {{ clean_text('horizon_days') }} as horizon_days_text,
        {{ to_number_or_null('horizon_days') }} as horizon_days,
        {{ clean_text('fitted_from') }} as fitted_from_text,
        {{ to_timestamp_or_null('fitted_from') }} as fitted_from,
        {{ clean_text('fitted_to') }} as fitted_to_text,
        {{ to_timestamp_or_null('fitted_to') }} as fitted_to,
        {{ to_number_or_null('observations') }} as observations,
        {{ to_number_or_null('conversions') }} as conversions
    from score_calibration

)

select * from final
