{#-
    The loader's rejects (raw.load_rejects, written by scripts/load_raw.py):
    one row per raw row it did not load, with why. A raw schema filled by
    another pipeline has no such table; this model is then empty. The
    rejected row itself (`record`, which holds personal data) stays in raw.
-#}
{%- set rejects = source('crm', 'load_rejects') -%}

with

load_rejects as (

    select
        table_name,
        source_file,
        row_number,
        reason,
        {{ optional_source_column(rejects, 'category', dbt.type_string()) }} as category,
        {{ optional_source_column(rejects, 'loaded_at', dbt.type_timestamp()) }} as loaded_at
    from {{ optional_source_relation(rejects, {
        'table_name': dbt.type_string(),
        'source_file': dbt.type_string(),
        'row_number': dbt.type_bigint(),
        'reason': dbt.type_string(),
    }) }}

),

final as (

    select
        table_name,
        source_file,
        cast(row_number as {{ dbt.type_bigint() }}) as row_number,
        reason,
        -- The stable part of the reason, for counting: the loader's category
        -- (older loaders wrote none: the reason up to its first ':').
        coalesce(category, trim({{ split_part_at('reason', ':', 1) }})) as issue,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from load_rejects

)

select * from final
