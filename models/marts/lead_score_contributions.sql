{{ config(indexes=mart_indexes(['model_id', 'contact_id', 'company_id', 'rule_id'])) }}

with

rule_hits as (

    select
        model_id,
        contact_id,
        company_id,
        group_id,
        rule_id,
        hits,
        points
    from {{ ref('lead_score_rule_hits') }}

),

final as (

    -- The rule hits that move the score (rules at 0 points are candidates:
    -- they appear in lead_score_rule_hits only).
    select
        model_id,
        contact_id,
        company_id,
        group_id,
        rule_id,
        hits,
        points
    from rule_hits
    where points != 0

)

select * from final
