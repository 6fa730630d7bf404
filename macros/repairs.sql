{#
    Repairs of raw values that staging applies (docs/semantics.md,
    "Repairs"), shared by the staging models that apply them and by
    stg_crm__row_issues, which lists every value they change.
#}

{#
    Whether a normalised (trimmed, lowercased) email address is usable:
    exactly one @, with text before it and a domain after it. Anything else
    (no @, several @, nothing on one side) is not an address.
#}
{% macro is_valid_email(email_expr) %}
    (
        {{ dbt.length(email_expr) }} - {{ dbt.length(dbt.replace(email_expr, "'@'", "''")) }} = 1
        and {{ normalized_text(split_part_at(email_expr, '@', 1)) }} is not null
        and {{ normalized_text(split_part_at(email_expr, '@', 2)) }} is not null
    )
{%- endmacro %}

{# A count or amount that cannot be negative (employees, revenue): null when it is. #}
{% macro non_negative_or_null(number_expr) %}
    case when {{ number_expr }} >= 0 then {{ number_expr }} end
{%- endmacro %}
