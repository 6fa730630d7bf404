with

reset_matches as (

    select
        scored_at,
        model_id,
        entity_id,
        occurred_at
    from {{ ref('int_entity_event_matches') }}
    where rule_type = 'reset'

),

final as (

    -- Engagement hits before this instant are ignored for the entity at the
    -- score time; hits at the instant itself still count.
    select
        scored_at,
        model_id,
        entity_id,
        max(occurred_at) as reset_at
    from reset_matches
    group by scored_at, model_id, entity_id

)

select * from final
