-- No backtest observation is of an entity that had already converted (a
-- won deal credited to it closed at or before the cutoff), and every
-- backtest rule hit belongs to an observation.

with

observations as (

    select
        observations.cutoff_at,
        observations.model_id,
        scoring_models.scope,
        coalesce(observations.contact_id, observations.company_id) as entity_id
    from {{ ref('backtest_observations') }} as observations
    inner join {{ ref('stg_config__scoring_models') }} as scoring_models
        on observations.model_id = scoring_models.model_id

),

already_converted as (

    select
        observations.cutoff_at,
        observations.model_id,
        observations.entity_id,
        'converted before the cutoff' as problem
    from observations
    inner join {{ ref('int_entity_conversions') }} as conversions
        on
            observations.scope = conversions.scope
            and observations.entity_id = conversions.entity_id
    where conversions.converted_at <= observations.cutoff_at

),

orphan_rule_hits as (

    select
        rule_hits.cutoff_at,
        rule_hits.model_id,
        coalesce(rule_hits.contact_id, rule_hits.company_id) as entity_id,
        'rule hit without an observation' as problem
    from {{ ref('backtest_rule_hits') }} as rule_hits
    left join observations
        on
            rule_hits.cutoff_at = observations.cutoff_at
            and rule_hits.model_id = observations.model_id
            and coalesce(rule_hits.contact_id, rule_hits.company_id) = observations.entity_id
    where observations.entity_id is null

)

select * from already_converted
union all
select * from orphan_rule_hits
