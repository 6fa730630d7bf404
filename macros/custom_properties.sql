{#
    Staging of a custom-property source table (id, property, value): names
    trimmed and lowercased, values trimmed, empty values dropped, one value
    per (id, property) (the greatest, should a loader write two).
#}
{% macro stage_custom_properties(source_table, id_column) %}
with

properties as (

    select
        {{ id_column }},
        property,
        value
    from {{ source('crm', source_table) }}

),

cleaned as (

    select
        {{ clean_text(id_column) }} as {{ id_column }},
        {{ normalized_text('property') }} as property,
        {{ clean_text('value') }} as property_value
    from properties

),

final as (

    select
        {{ id_column }},
        property,
        max(property_value) as property_value
    from cleaned
    where
        {{ id_column }} is not null
        and property is not null
        and property_value is not null
    group by {{ id_column }}, property

)

select * from final
{% endmacro %}
