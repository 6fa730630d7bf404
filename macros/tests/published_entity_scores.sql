{#
    lead_scores and account_scores as one relation keyed by (model_id,
    entity_id), with the given columns: what the singular data tests check.
#}
{% macro published_entity_scores(columns) %}
    select
        model_id,
        contact_id as entity_id,
        {{ columns | join(', ') }}
    from {{ ref('lead_scores') }}
    union all
    select
        model_id,
        company_id as entity_id,
        {{ columns | join(', ') }}
    from {{ ref('account_scores') }}
{% endmacro %}
