{#- Warns (without failing) about config values that are ignored or suspicious. -#}
{{ config(severity='warn') }}

{{ report_config_problems('warn') }}
