-- depends_on: {{ ref('int_config_errors') }}
-- The config checks (tests on int_config_errors) run before this model: a
-- failing check skips every scoring model and keeps the published marts.

with

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
    where created_at <= {{ as_of_timestamp() }}

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
        contact_id
    from {{ ref('stg_crm__list_memberships') }}

),

find_list_members as (

    select distinct
        list_filters.model_id,
        list_filters.list_role,
        list_memberships.contact_id
    from list_filters
    inner join list_memberships
        on list_filters.list_key = list_memberships.list_key

),

find_models_with_include_lists as (

    select distinct model_id
    from list_filters
    where list_role = 'include'

),

apply_lists as (

    select
        scoring_models.model_id,
        scoring_models.scope,
        contacts.contact_id,
        contacts.company_id,
        contacts.owner_id,
        contacts.created_at
    from scoring_models
    cross join contacts
    left join find_models_with_include_lists
        on scoring_models.model_id = find_models_with_include_lists.model_id
    left join find_list_members as included
        on
            scoring_models.model_id = included.model_id
            and contacts.contact_id = included.contact_id
            and included.list_role = 'include'
    left join find_list_members as excluded
        on
            scoring_models.model_id = excluded.model_id
            and contacts.contact_id = excluded.contact_id
            and excluded.list_role = 'exclude'
    where
        (find_models_with_include_lists.model_id is null or included.contact_id is not null)
        and excluded.contact_id is null

),

final as (

    select
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
