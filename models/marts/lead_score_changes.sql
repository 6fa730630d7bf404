{{ config(indexes=mart_indexes(['model_id', 'contact_id', 'company_id'])) }}

-- Per model and entity, what changed over the score history: when it first
-- became qualified, when it last crossed the threshold (either way), its
-- previous and current tier. The feed a CRM sync or an alert reads.

with

history as (

    select
        scored_at,
        model_id,
        contact_id,
        company_id,
        owner_id,
        score,
        tier,
        is_qualified,
        coalesce(contact_id, company_id) as entity_id
    from {{ ref('lead_score_history') }}

),

find_history_bounds as (

    select
        min(scored_at) as history_started_at,
        max(scored_at) as history_ended_at
    from {{ ref('int_score_times') }}
    where is_history_snapshot

),

compare_with_previous_snapshot as (

    select
        *,
        lag(is_qualified) over (
            partition by model_id, entity_id order by scored_at
        ) as previous_is_qualified,
        lag(tier) over (
            partition by model_id, entity_id order by scored_at
        ) as previous_snapshot_tier,
        lag(score) over (
            partition by model_id, entity_id order by scored_at
        ) as previous_snapshot_score,
        row_number() over (
            partition by model_id, entity_id order by scored_at
        ) as snapshot_number
    from history

),

mark_changes as (

    -- An entity that appears after the first snapshot (created or newly
    -- applicable) was unqualified and without a tier before; at the first
    -- snapshot nothing is known about earlier states, so nothing changed.
    select
        compare_with_previous_snapshot.*,
        case
            when compare_with_previous_snapshot.snapshot_number > 1
                then compare_with_previous_snapshot.is_qualified != compare_with_previous_snapshot.previous_is_qualified
            else
                compare_with_previous_snapshot.scored_at > find_history_bounds.history_started_at
                and compare_with_previous_snapshot.is_qualified
        end as is_threshold_crossing,
        case
            when compare_with_previous_snapshot.snapshot_number > 1
                then
                    coalesce(compare_with_previous_snapshot.tier, '')
                    != coalesce(compare_with_previous_snapshot.previous_snapshot_tier, '')
            else
                compare_with_previous_snapshot.scored_at > find_history_bounds.history_started_at
                and compare_with_previous_snapshot.tier is not null
        end as is_tier_change
    from compare_with_previous_snapshot
    cross join find_history_bounds

),

summarise_entities as (

    select
        model_id,
        entity_id,
        min(case when is_qualified then scored_at end) as first_qualified_at,
        max(case when is_threshold_crossing then scored_at end) as last_threshold_crossed_at,
        max(case when is_tier_change then scored_at end) as tier_changed_at
    from mark_changes
    group by model_id, entity_id

),

final as (

    -- One row per entity scored at the latest snapshot.
    select
        latest.model_id,
        latest.contact_id,
        latest.company_id,
        latest.owner_id,
        latest.scored_at,
        latest.score,
        latest.previous_snapshot_score as previous_score,
        latest.tier,
        tier_change.previous_snapshot_tier as previous_tier,
        summarise_entities.tier_changed_at,
        latest.is_qualified,
        summarise_entities.first_qualified_at,
        summarise_entities.last_threshold_crossed_at,
        find_history_bounds.history_started_at,
        case
            when summarise_entities.last_threshold_crossed_at is null then null
            when latest.is_qualified then 'qualified'
            else 'unqualified'
        end as last_crossing,
        coalesce(latest.is_threshold_crossing and latest.is_qualified, false) as is_newly_qualified
    from mark_changes as latest
    cross join find_history_bounds
    inner join summarise_entities
        on
            latest.model_id = summarise_entities.model_id
            and latest.entity_id = summarise_entities.entity_id
    left join mark_changes as tier_change
        on
            latest.model_id = tier_change.model_id
            and latest.entity_id = tier_change.entity_id
            and summarise_entities.tier_changed_at = tier_change.scored_at
    where latest.scored_at = find_history_bounds.history_ended_at

)

select * from final
