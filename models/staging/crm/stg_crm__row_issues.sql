{%- set events_relation = ref('stg_crm__events') -%}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ forget_rederived_row_issues(watermark_before_latest_run(ref('stg_crm__events'), 'staged_through')) }}",
) }}

{#-
    Every raw row that staging leaves out, and every raw value it repairs
    (docs/semantics.md, "Bad raw data"), one row each: the raw table, the
    row's key, the column, the issue, what staging did, and the value
    concerned. Rows the loader rejected never reach raw (see
    stg_crm__load_rejects); these are what a raw schema of another pipeline
    (or an older loader) may still hold. The conditions are the staging
    models' own (the macros clean_text, is_valid_email,
    non_negative_or_null), so this list and staging cannot disagree.

    Incremental, so a daily run does not scan every raw event: the contact,
    company, deal and list rows are derived again on every run (each load
    replaces those tables); the event rows only for the raw events loaded
    after the watermark before stg_crm__events' latest run
    (watermark_before_latest_run: the loads that run read, and none it did
    not rewrite). The pre-hook first forgets the rows it derives again, so a
    repeated run changes nothing. A rebuild of stg_crm__events (a replaced
    raw table) makes that watermark null: every event is read again, as
    when this table was built by a version without loaded_at.
-#}
{%- set reads_new_events_only = is_incremental_run()
    and optional_source_column(this, 'loaded_at', dbt.type_timestamp()) == 'loaded_at' -%}
{%- if reads_new_events_only -%}
    {%- set events_watermark = queried_timestamp_literal('select ' ~ watermark_before_latest_run(events_relation, 'staged_through')) -%}
{%- endif -%}
{%- set excluded = 'excluded: not scored' -%}
{%- set set_to_null = 'repaired: set to null' -%}
{%- set checks = [
    ('contacts', 'contact_id', 'contact_id', clean_text('contact_id') ~ ' is null', 'empty key', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('contacts', 'contact_id', 'created_at', clean_text('contact_id') ~ ' is not null and created_at is null', 'empty required value', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('contacts', 'contact_id', 'email', normalized_text('email') ~ ' is not null and not ' ~ is_valid_email(normalized_text('email')), 'invalid email address', set_to_null, clean_text('email')),
    ('companies', 'company_id', 'company_id', clean_text('company_id') ~ ' is null', 'empty key', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('companies', 'company_id', 'employee_count', 'employee_count < 0', 'negative number', set_to_null, 'cast(employee_count as ' ~ dbt.type_string() ~ ')'),
    ('companies', 'company_id', 'annual_revenue', 'annual_revenue < 0', 'negative number', set_to_null, 'cast(annual_revenue as ' ~ dbt.type_string() ~ ')'),
    ('events', 'event_id', 'event_id', clean_text('event_id') ~ ' is null', 'empty key', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('events', 'event_id', 'contact_id', clean_text('event_id') ~ ' is not null and ' ~ clean_text('contact_id') ~ ' is null', 'empty required value', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('events', 'event_id', 'event_type', clean_text('event_id') ~ ' is not null and ' ~ clean_text('contact_id') ~ ' is not null and ' ~ normalized_text('event_type') ~ ' is null', 'empty required value', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('events', 'event_id', 'occurred_at', clean_text('event_id') ~ ' is not null and ' ~ clean_text('contact_id') ~ ' is not null and ' ~ normalized_text('event_type') ~ ' is not null and occurred_at is null', 'empty required value', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('deals', 'deal_id', 'deal_id', clean_text('deal_id') ~ ' is null', 'empty key', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('list_memberships', 'contact_id', 'list_name', normalized_text('list_name') ~ ' is null', 'empty key', excluded, "cast(null as " ~ dbt.type_string() ~ ")"),
    ('list_memberships', 'contact_id', 'contact_id', normalized_text('list_name') ~ ' is not null and ' ~ clean_text('contact_id') ~ ' is null', 'empty key', excluded, clean_text('list_name')),
] -%}


with

raw_contacts as (

    select
        contact_id,
        email,
        created_at
    from {{ source('crm', 'contacts') }}

),

raw_companies as (

    select
        company_id,
        employee_count,
        annual_revenue
    from {{ source('crm', 'companies') }}

),

raw_events as (

    -- The raw events of stg_crm__events' latest loads (every one on a
    -- rebuild, or when raw events carry no loaded_at).
    select
        event_id,
        contact_id,
        event_type,
        occurred_at,
        loaded_at
    from {{ rows_loaded_after(
        source('crm', 'events'),
        ['event_id', 'contact_id', 'event_type', 'occurred_at'],
        events_watermark if reads_new_events_only else none
    ) }}

),

raw_deals as (

    select deal_id
    from {{ source('crm', 'deals') }}

),

raw_list_memberships as (

    select
        list_name,
        contact_id
    from {{ source('crm', 'list_memberships') }}

),

check_rows as (

    {%- for table_name, key_column, column_name, condition, issue, handling, detail in checks %}
        select
            '{{ table_name }}' as table_name,
            {{ clean_text(key_column) }} as record_id,
            '{{ column_name }}' as column_name,
            '{{ issue }}' as issue,
            '{{ handling }}' as handling,
            {{ detail }} as detail,
            {{ 'loaded_at' if table_name == 'events' else 'cast(null as ' ~ dbt.type_timestamp() ~ ')' }} as loaded_at
        from raw_{{ table_name }}
        where {{ condition }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        table_name,
        record_id,
        column_name,
        issue,
        handling,
        cast(detail as {{ dbt.type_string() }}) as detail,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from check_rows

)

select * from final
