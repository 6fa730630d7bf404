{#-
    One row per day, from ten years before T to a year after it: the time
    spine of the semantic layer (MetricFlow joins metrics to it by day, week,
    month, ...). Built with dbt's cross-database date_spine.
-#}

{%- set as_of = as_of_datetime() -%}
{%- set first_day = (as_of - modules.datetime.timedelta(days=3653)).strftime('%Y-%m-%d') -%}
{%- set after_last_day = (as_of + modules.datetime.timedelta(days=366)).strftime('%Y-%m-%d') -%}

with

spine as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ first_day ~ "' as date)",
        "cast('" ~ after_last_day ~ "' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from spine

)

select * from final
