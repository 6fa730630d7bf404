{#-
    Fails the build when the config seeds have errors, naming each offending
    model, group, rule or tier and what to fix. dbt build runs this test
    before any scoring model (they all depend on int_config_errors), so a bad
    config never replaces published scores.
-#}
{{ config(severity='error') }}

{{ report_config_problems('error') }}
