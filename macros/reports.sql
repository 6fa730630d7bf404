{#
    The current score of every scored entity of every model, contact models
    (lead_scores) and company models (account_scores) alike, keyed by
    (model_id, entity_id): the common input of the report marts
    (models/marts/reports). owner_id is null for companies.
#}
{% macro current_scores() %}
    select
        model_id,
        'contact' as scope,
        contact_id as entity_id,
        contact_id,
        company_id,
        owner_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified,
        scored_at
    from {{ ref('lead_scores') }}
    union all
    select
        model_id,
        'company' as scope,
        company_id as entity_id,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        company_id,
        cast(null as {{ dbt.type_string() }}) as owner_id,
        score,
        fit_score,
        engagement_score,
        tier,
        fit_tier,
        engagement_tier,
        is_qualified,
        scored_at
    from {{ ref('account_scores') }}
{% endmacro %}

{#
    share of part in whole as a double, null when whole is 0 (a model
    without scored entities has no shares).
#}
{% macro share_of(part, whole) %}
    cast({{ part }} as {{ type_double() }}) / nullif({{ whole }}, 0)
{% endmacro %}

{#
    The average of a double expression, independent of the order the engine
    adds the rows in (deterministic_sum, macros/cross_db.sql): two builds of
    the same data give the same report to the last digit.
#}
{% macro deterministic_avg(expression) %}
    ({{ deterministic_sum(expression) }}) / nullif(count({{ expression }}), 0)
{% endmacro %}
