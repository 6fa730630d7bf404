with

reset_matches as (

    select
        model_id,
        entity_id,
        occurred_at
    from {{ ref('int_event_rule_matches') }}
    where rule_type = 'reset'

),

final as (

    -- Engagement hits (event and frequency rules) before this instant are
    -- ignored for the entity; hits at the instant itself still count.
    select
        model_id,
        entity_id,
        max(occurred_at) as reset_at
    from reset_matches
    group by model_id, entity_id

)

select * from final
