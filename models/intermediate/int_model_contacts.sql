-- depends_on: {{ ref('int_config_errors') }}
-- The config checks (tests on int_config_errors) run before this model: a
-- failing check skips every scoring model and keeps the published marts.

with

score_times as (

    select scored_at
    from {{ ref('int_score_times') }}

),

scoring_models as (

    select
        model_id,
        scope
    from {{ ref('stg_config__scoring_models') }}

),

contacts as (

    select
        contact_id,
        company_id,
        owner_id,
        created_at
    from {{ ref('stg_crm__contacts') }}

),

list_filters as (

    select
        model_id,
        list_role,
        list_key
    from {{ ref('int_model_list_filters') }}

),

list_memberships as (

    select
        list_key,
        contact_id,
        added_at
    from {{ ref('stg_crm__list_memberships') }}

),

find_list_members as (

    -- One row per model and listed contact: whether the contact is in one of
    -- the model's include or exclude lists, and since when (null when some
    -- membership has no added_at: a member at every score time). One row, so
    -- that the join below has a single equality key on every engine.
    select
        list_filters.model_id,
        list_memberships.contact_id,
        max(case when list_filters.list_role = 'include' then 1 else 0 end) as is_in_include_list,
        max(case when list_filters.list_role = 'exclude' then 1 else 0 end) as is_in_exclude_list,
        case
            when
                count(case when list_filters.list_role = 'include' then 1 end)
                > count(case when list_filters.list_role = 'include' then list_memberships.added_at end)
                then null
            else min(case when list_filters.list_role = 'include' then list_memberships.added_at end)
        end as included_since,
        case
            when
                count(case when list_filters.list_role = 'exclude' then 1 end)
                > count(case when list_filters.list_role = 'exclude' then list_memberships.added_at end)
                then null
            else min(case when list_filters.list_role = 'exclude' then list_memberships.added_at end)
        end as excluded_since
    from list_filters
    inner join list_memberships
        on list_filters.list_key = list_memberships.list_key
    group by list_filters.model_id, list_memberships.contact_id

),

find_models_with_include_lists as (

    select distinct model_id
    from list_filters
    where list_role = 'include'

),

find_existing_contacts as (

    -- Only contacts created at or before a score time exist at it.
    select
        score_times.scored_at,
        contacts.contact_id,
        contacts.company_id,
        contacts.owner_id,
        contacts.created_at
    from score_times
    inner join contacts
        on score_times.scored_at >= contacts.created_at

),

apply_lists as (

    select
        find_existing_contacts.scored_at,
        scoring_models.model_id,
        scoring_models.scope,
        find_existing_contacts.contact_id,
        find_existing_contacts.company_id,
        find_existing_contacts.owner_id,
        find_existing_contacts.created_at
    from find_existing_contacts
    cross join scoring_models
    left join find_models_with_include_lists
        on scoring_models.model_id = find_models_with_include_lists.model_id
    left join find_list_members as members
        on
            scoring_models.model_id = members.model_id
            and find_existing_contacts.contact_id = members.contact_id
    where
        (
            find_models_with_include_lists.model_id is null
            or (
                members.is_in_include_list = 1
                and (members.included_since is null or find_existing_contacts.scored_at >= members.included_since)
            )
        )
        and not (
            coalesce(members.is_in_exclude_list, 0) = 1
            and (members.excluded_since is null or find_existing_contacts.scored_at >= members.excluded_since)
        )

),

final as (

    select
        scored_at,
        model_id,
        scope,
        contact_id,
        company_id,
        owner_id,
        created_at,
        case scope
            when 'company' then company_id
            else contact_id
        end as entity_id
    from apply_lists
    where scope = 'contact' or company_id is not null

)

select * from final
