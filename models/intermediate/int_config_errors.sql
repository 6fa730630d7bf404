{#-
    A table, not a view: several tests and the build's gate read it, and
    engines that plan each query from scratch (Spark) would re-plan these
    checks for every one of them.
-#}
{{ config(materialized='table') }}

{#-
    Every problem found in the config seeds, one row each: which seed, which
    model and item (group, rule or tier), how severe (`error` fails the build
    before any scoring model runs; `warn` is reported) and what is wrong.
    Seed values appear here only as data in the messages.

    Each check is (config_file, severity, condition, message): the condition
    and message are SQL over the staged seed row.
-#}
{%- set operators = [
    'equals', 'not_equals', 'in', 'not_in', 'contains', 'not_contains', 'starts_with',
    'ends_with', 'gt', 'gte', 'lt', 'lte', 'between', 'is_set', 'is_not_set'
] -%}
{%- set operator_list = "('" ~ operators | join("', '") ~ "')" -%}
{%- set rule_types = "('attribute', 'event', 'frequency', 'inactivity', 'reset')" -%}

{%- set model_checks = [
    ("error", "model_id is null", "'model_id is empty'"),
    ("error", "duplicates > 1",
        "'model_id appears ' || cast(duplicates as " ~ dbt.type_string() ~ ") || ' times; model ids must be unique'"),
    ("error", "scope is null or scope not in ('contact', 'company')",
        "'scope ''' || coalesce(scope, '') || ''' is unknown; use contact or company'"),
    ("error", "max_score_text is not null and (max_score_parsed is null or max_score_parsed <= 0)",
        "'max_score ''' || max_score_text || ''' must be a positive number (empty means 100)'"),
    ("error", "qualified_threshold_text is null",
        "'qualified_threshold is empty; set the score from which a lead is qualified'"),
    ("error", "qualified_threshold_text is not null and qualified_threshold is null",
        "'qualified_threshold ''' || qualified_threshold_text || ''' is not a number'"),
    ("warn", "qualified_threshold > max_score",
        "'qualified_threshold is above max_score: no lead can ever qualify'"),
] -%}

{%- set group_checks = [
    ("error", "group_id is null", "'group_id is empty'"),
    ("error", "duplicates > 1",
        "'group_id appears ' || cast(duplicates as " ~ dbt.type_string() ~ ") || ' times in this model; group ids must be unique per model'"),
    ("error", "not has_model",
        "'model ''' || coalesce(model_id, '') || ''' is not defined in scoring_models'"),
    ("error", "dimension is null or dimension not in ('fit', 'engagement')",
        "'dimension ''' || coalesce(dimension, '') || ''' is unknown; use fit or engagement'"),
    ("error", "max_points is null or max_points <= 0",
        "'max_points ''' || coalesce(max_points_text, '') || ''' must be a number > 0 (the group cap)'"),
] -%}

{%- set tier_checks = [
    ("error", "tier is null", "'tier name is empty'"),
    ("error", "not has_model",
        "'model ''' || coalesce(model_id, '') || ''' is not defined in scoring_models'"),
    ("error", "dimension is null or dimension not in ('score', 'fit', 'engagement')",
        "'dimension ''' || coalesce(dimension, '') || ''' is unknown; use score, fit or engagement'"),
    ("error", "min_score is null",
        "'min_score ''' || coalesce(min_score_text, '') || ''' is not a number'"),
    ("error", "duplicate_tiers > 1",
        "'tier is defined ' || cast(duplicate_tiers as " ~ dbt.type_string() ~ ") || ' times for this model and dimension'"),
    ("error", "duplicate_min_scores > 1",
        "'another tier of this model and dimension has the same min_score ' || min_score_text"),
] -%}

{%- set calibration_checks = [
    ("error", "not has_model",
        "'model ''' || coalesce(model_id, '') || ''' is not defined in scoring_models'"),
    ("error", "min_score is null",
        "'min_score ''' || coalesce(min_score_text, '') || ''' is not a number'"),
    ("error", "conversion_probability is null or conversion_probability < 0 or conversion_probability > 1",
        "'conversion_probability ''' || coalesce(conversion_probability_text, '') || ''' must be a number from 0 to 1'"),
    ("error", "horizon_days_text is not null and (horizon_days is null or horizon_days <= 0)",
        "'horizon_days ''' || horizon_days_text || ''' must be a number > 0'"),
    ("error", "(fitted_from_text is not null and fitted_from is null) or (fitted_to_text is not null and fitted_to is null)",
        "'fitted_from and fitted_to must be ISO-8601 dates or date-times (UTC), got ''' || coalesce(fitted_from_text, '') || ''' and ''' || coalesce(fitted_to_text, '') || ''''"),
    ("error", "duplicate_bands > 1",
        "'another band of this model has the same min_score ' || min_score_text"),
    ("warn", "is_lowest_band and min_score > 0",
        "'the lowest band starts at ' || min_score_text || ': lower scores get no conversion_probability'"),
] -%}

{%- set rule_checks = [
    ("error", "rule_id is null", "'rule_id is empty'"),
    ("error", "duplicates > 1",
        "'rule_id appears ' || cast(duplicates as " ~ dbt.type_string() ~ ") || ' times in this model; rule ids must be unique per model'"),
    ("error", "not has_model",
        "'model ''' || coalesce(model_id, '') || ''' is not defined in scoring_models'"),
    ("error", "rule_type is null or rule_type not in " ~ rule_types,
        "'rule_type ''' || coalesce(rule_type, '') || ''' is unknown; use attribute, event, frequency, inactivity or reset'"),
    ("warn", "description is null", "'description is empty; say what the rule rewards or penalises'"),
    ("error", "rule_type != 'reset' and group_id is null", "'group_id is empty; every scoring rule belongs to a group'"),
    ("error", "group_id is not null and not has_group",
        "'group ''' || group_id || ''' is not defined for model ''' || coalesce(model_id, '') || ''' in scoring_groups'"),
    ("error", "rule_type != 'reset' and points_text is null", "'points is empty'"),
    ("error", "points_text is not null and points is null",
        "'points ''' || points_text || ''' is not a number'"),
    ("warn", "rule_type = 'reset' and points != 0",
        "'reset rules carry no points; the points are ignored (add an event rule to score the event)'"),
    ("error", "rule_type = 'attribute' and field is null",
        "'attribute rules need a field (contact.<column> or company.<column>)'"),
    ("error", "rule_type = 'attribute' and field is not null and (field_entity is null or field_entity not in ('contact', 'company') or field_name is null)",
        "'field ''' || field || ''' is unknown; attribute fields are contact.<column> or company.<column>'"),
    ("error", "rule_type = 'attribute' and operator is null", "'attribute rules need an operator'"),
    ("error", "rule_type in ('event', 'frequency', 'reset') and event_type is null",
        "'event_type is empty; ' || rule_type || ' rules match events of one type'"),
    ("error", "rule_type in ('event', 'frequency', 'inactivity', 'reset') and field is not null and field not in ('event.url', 'event.detail')",
        "'field ''' || field || ''' is unknown; event conditions use event.url or event.detail'"),
    ("error", "rule_type in ('event', 'frequency', 'inactivity', 'reset') and field is not null and operator is null",
        "'field ''' || field || ''' is set without an operator'"),
    ("error", "rule_type in ('event', 'frequency', 'inactivity', 'reset') and field is null and operator is not null",
        "'operator ''' || operator || ''' is set without a field (event.url or event.detail)'"),
    ("error", "operator is not null and operator not in " ~ operator_list,
        "'operator ''' || operator || ''' is unknown; use one of " ~ operators | join(', ') ~ "'"),
    ("error", "operator in " ~ operator_list ~ " and operator not in ('is_set', 'is_not_set') and rule_value is null",
        "'operator ''' || operator || ''' needs a value'"),
    ("error", "operator in ('gt', 'gte', 'lt', 'lte') and rule_value is not null and value_number is null",
        "'operator ''' || operator || ''' needs one number as value, got ''' || rule_value || ''''"),
    ("error", "operator = 'between' and rule_value is not null and (value_parts != 2 or value_lo is null or value_hi is null)",
        "'operator between needs value lo|hi (two numbers), got ''' || rule_value || ''''"),
    ("error", "operator = 'between' and value_lo > value_hi",
        "'between bounds are reversed: ''' || rule_value || ''' has lo > hi'"),
    ("error", "value_parts > 1000", "'value lists more than 1000 alternatives'"),
    ("warn", "empty_alternatives > 0 and operator not in ('between')",
        "'value ''' || rule_value || ''' has an empty alternative (a stray |), which is ignored'"),
    ("error", "max_count_text is not null and (max_count is null or max_count < 1 or max_count != floor(max_count))",
        "'max_count ''' || max_count_text || ''' must be a whole number >= 1'"),
    ("error", "window_days_text is not null and (window_days is null or window_days <= 0)",
        "'window_days ''' || window_days_text || ''' must be a number > 0'"),
    ("error", "decay_text is not null and decay_text not in ('none', 'exponential', 'step')",
        "'decay ''' || decay_text || ''' is unknown; use none, exponential or step'"),
    ("error", "decay in ('exponential', 'step') and (decay_days is null or decay_days <= 0)",
        "'decay ' || decay || ' needs decay_days > 0, got ''' || coalesce(decay_days_text, '') || ''''"),
    ("error", "decay in ('exponential', 'step') and (decay_factor is null or decay_factor <= 0)",
        "'decay ' || decay || ' needs decay_factor > 0 (0.5 halves the points every decay_days), got ''' || coalesce(decay_factor_text, '') || ''''"),
    ("warn", "decay in ('exponential', 'step') and decay_factor > 1",
        "'decay_factor ' || decay_factor_text || ' is above 1: older events are worth more than new ones'"),
    ("error", "rule_type = 'frequency' and (min_events is null or min_events < 1 or min_events != floor(min_events))",
        "'frequency rules need min_events, a whole number >= 1, got ''' || coalesce(min_events_text, '') || ''''"),
    ("error", "rule_type in ('frequency', 'inactivity') and (within_days is null or within_days <= 0)",
        "rule_type || ' rules need within_days > 0, got ''' || coalesce(within_days_text, '') || ''''"),
    ("warn", "rule_type in ('attribute', 'frequency', 'inactivity', 'reset') and (window_days_text is not null or decay_text is not null or decay_days_text is not null or decay_factor_text is not null)",
        "'window_days and decay apply to event rules only; ignored for ' || rule_type || ' rules'"),
    ("warn", "rule_type in ('attribute', 'event', 'reset') and (min_events_text is not null or within_days_text is not null)",
        "'min_events and within_days apply to frequency and inactivity rules only; ignored for ' || rule_type || ' rules'"),
    ("warn", "rule_type in ('attribute', 'frequency', 'reset') and max_count_text is not null",
        "'max_count applies to event and inactivity rules only; ignored for ' || rule_type || ' rules'"),
    ("warn", "rule_type = 'attribute' and event_type is not null",
        "'event_type is ignored for attribute rules'"),
] -%}

with

scoring_models as (

    select
        model_id,
        scope,
        max_score_text,
        {{ to_number_or_null('max_score_text') }} as max_score_parsed,
        max_score,
        qualified_threshold_text,
        qualified_threshold
    from {{ ref('stg_config__scoring_models') }}

),

scoring_groups as (

    select
        model_id,
        group_id,
        dimension,
        max_points_text,
        max_points
    from {{ ref('stg_config__scoring_groups') }}

),

scoring_rules as (

    select *
    from {{ ref('stg_config__scoring_rules') }}

),

score_tiers as (

    select
        model_id,
        dimension,
        tier,
        min_score_text,
        min_score
    from {{ ref('stg_config__score_tiers') }}

),

score_calibration as (

    select
        model_id,
        min_score_text,
        min_score,
        conversion_probability_text,
        conversion_probability,
        horizon_days_text,
        horizon_days,
        fitted_from_text,
        fitted_from,
        fitted_to_text,
        fitted_to
    from {{ ref('stg_config__score_calibration') }}

),

split_rule_values as (

    {{ split_alternatives('scoring_rules', ['model_id', 'rule_id'], 'rule_value') }}

),

count_alternatives as (

    -- Per rule id (duplicated ids are reported on their own).
    select
        model_id,
        rule_id,
        sum(case when alternative_text is null then 1 else 0 end) as empty_alternatives
    from split_rule_values
    group by model_id, rule_id

),

count_rule_duplicates as (

    select
        scoring_rules.*,
        count(*) over (partition by scoring_rules.model_id, scoring_rules.rule_id) as duplicates,
        {{ dbt.length('scoring_rules.rule_value') }}
        - {{ dbt.length(dbt.replace('scoring_rules.rule_value', "'|'", "''")) }} + 1 as value_parts
    from scoring_rules

),

annotate_models as (

    select
        scoring_models.*,
        count(*) over (partition by scoring_models.model_id) as duplicates
    from scoring_models

),

annotate_groups as (

    select
        scoring_groups.*,
        count(*) over (partition by scoring_groups.model_id, scoring_groups.group_id) as duplicates,
        coalesce(
            scoring_groups.model_id in (
                select listed_models.model_id from scoring_models as listed_models
                where listed_models.model_id is not null
            ), false
        ) as has_model
    from scoring_groups

),

annotate_tiers as (

    select
        score_tiers.*,
        count(*) over (partition by score_tiers.model_id, score_tiers.dimension, score_tiers.tier)
            as duplicate_tiers,
        count(*) over (partition by score_tiers.model_id, score_tiers.dimension, score_tiers.min_score)
            as duplicate_min_scores,
        coalesce(
            score_tiers.model_id in (
                select listed_models.model_id from scoring_models as listed_models
                where listed_models.model_id is not null
            ), false
        ) as has_model
    from score_tiers

),

annotate_calibration as (

    select
        score_calibration.*,
        count(*) over (partition by score_calibration.model_id, score_calibration.min_score)
            as duplicate_bands,
        score_calibration.min_score = min(score_calibration.min_score) over (
            partition by score_calibration.model_id
        ) as is_lowest_band,
        coalesce(
            score_calibration.model_id in (
                select listed_models.model_id from scoring_models as listed_models
                where listed_models.model_id is not null
            ), false
        ) as has_model
    from score_calibration

),

annotate_rules as (

    select
        count_rule_duplicates.*,
        coalesce(
            count_rule_duplicates.model_id in (
                select listed_models.model_id from scoring_models as listed_models
                where listed_models.model_id is not null
            ), false
        ) as has_model,
        exists(
            select 1
            from scoring_groups
            where
                scoring_groups.model_id = count_rule_duplicates.model_id
                and scoring_groups.group_id = count_rule_duplicates.group_id
        ) as has_group,
        coalesce(count_alternatives.empty_alternatives, 0) as empty_alternatives
    from count_rule_duplicates
    left join count_alternatives
        on
            count_rule_duplicates.model_id = count_alternatives.model_id
            and count_rule_duplicates.rule_id = count_alternatives.rule_id

),

{%- set check_sets = [
    ('scoring_models', 'annotate_models', 'model_id', model_checks),
    ('scoring_groups', 'annotate_groups', 'group_id', group_checks),
    ('scoring_rules', 'annotate_rules', 'rule_id', rule_checks),
    ('score_tiers', 'annotate_tiers', "coalesce(dimension, '') || '/' || coalesce(tier, '')", tier_checks),
    ('score_calibration', 'annotate_calibration', 'min_score_text', calibration_checks),
] %}

check_config as (

    {%- for config_file, relation, item_expression, checks in check_sets %}
        {%- set outer_loop = loop %}
        {%- for severity, condition, message in checks %}
            select
                '{{ config_file }}' as config_file,
                model_id,
                {{ item_expression }} as item_id,
                '{{ severity }}' as severity,
                {{ message | replace('varchar', dbt.type_string()) }} as problem
            from {{ relation }}
            where coalesce({{ condition }}, false)
            {% if not (outer_loop.last and loop.last) %}union all{% endif %}
        {%- endfor %}
    {%- endfor %}

),

final as (

    select
        config_file,
        model_id,
        item_id,
        severity,
        problem
    from check_config

)

select * from final
