{#-
    How the entities of each model spread over its tiers, per dimension
    (score, fit, engagement): every configured tier, also when empty, and a
    row with a null tier for entities below the lowest tier when there are any.
-#}

with

scores as (

    {{ current_scores() }}

),

scoring_models as (

    select
        model_id,
        scope
    from {{ ref('stg_config__scoring_models') }}

),

tiers as (

    select
        model_id,
        dimension,
        tier,
        min_score
    from {{ ref('stg_config__score_tiers') }}

),

current_score_time as (

    select scored_at
    from {{ ref('int_score_times') }}
    where is_current

),

unpivot_dimensions as (

    {%- for dimension, score_column, tier_column in [
        ('score', 'score', 'tier'),
        ('fit', 'fit_score', 'fit_tier'),
        ('engagement', 'engagement_score', 'engagement_tier'),
    ] %}
        select
            model_id,
            '{{ dimension }}' as dimension,
            {{ tier_column }} as tier,
            {{ score_column }} as dimension_score,
            is_qualified
        from scores
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

count_per_tier as (

    select
        model_id,
        dimension,
        tier,
        count(*) as entities,
        sum(case when is_qualified then 1 else 0 end) as qualified_entities,
        {{ deterministic_avg("dimension_score") }} as average_score,
        min(dimension_score) as lowest_score,
        max(dimension_score) as highest_score
    from unpivot_dimensions
    group by
        model_id,
        dimension,
        tier

),

count_per_model as (

    select
        model_id,
        count(*) as model_entities
    from scores
    group by model_id

),

rank_tiers as (

    select
        model_id,
        dimension,
        tier,
        min_score as tier_min_score,
        row_number() over (
            partition by model_id, dimension
            order by min_score desc, tier asc
        ) as tier_rank
    from tiers

),

list_tiers as (

    select
        model_id,
        dimension,
        tier,
        tier_min_score,
        tier_rank
    from rank_tiers
    union all
    select distinct
        model_id,
        dimension,
        cast(null as {{ dbt.type_string() }}) as tier,
        cast(null as {{ type_double() }}) as tier_min_score,
        cast(null as {{ dbt.type_int() }}) as tier_rank
    from rank_tiers

),

join_counts as (

    select
        list_tiers.model_id,
        list_tiers.dimension,
        list_tiers.tier,
        list_tiers.tier_min_score,
        list_tiers.tier_rank,
        count_per_tier.average_score,
        count_per_tier.lowest_score,
        count_per_tier.highest_score,
        coalesce(count_per_tier.entities, 0) as entities,
        coalesce(count_per_tier.qualified_entities, 0) as qualified_entities
    from list_tiers
    left join count_per_tier
        on
            list_tiers.model_id = count_per_tier.model_id
            and list_tiers.dimension = count_per_tier.dimension
            and (
                list_tiers.tier = count_per_tier.tier
                or (list_tiers.tier is null and count_per_tier.tier is null)
            )
    -- the row of entities below the lowest tier only where there are some
    where list_tiers.tier is not null or count_per_tier.entities > 0

),

final as (

    select
        join_counts.model_id,
        scoring_models.scope,
        join_counts.dimension,
        join_counts.tier,
        join_counts.tier_min_score,
        join_counts.tier_rank,
        join_counts.entities,
        {{ share_of('join_counts.entities', 'count_per_model.model_entities') }}
            as share_of_entities,
        join_counts.qualified_entities,
        join_counts.average_score,
        join_counts.lowest_score,
        join_counts.highest_score,
        current_score_time.scored_at
    from join_counts
    inner join scoring_models
        on join_counts.model_id = scoring_models.model_id
    left join count_per_model
        on join_counts.model_id = count_per_model.model_id
    cross join current_score_time

)

select * from final
