{#
    Atomic publication (Write-Audit-Publish; README, "Publication: BI never
    sees a half-built table"). The marts (models with `meta: {publish:
    true}`, set on models/marts/ in dbt_project.yml) are built and tested in
    the build schema (`<schema>_build`). BI tools read the published copies
    in the target's own schema (`main` on DuckDB, `analytics` on PostgreSQL
    and Spark).

    `publish_marts(results)` runs at the end of every dbt invocation
    (on-run-end) and copies every mart from the build schema to the
    published schema, in one transaction, only when:
    - the invocation is `dbt build` (so the marts' tests ran with them),
    - no node of the invocation failed, errored or was skipped, and
    - every publishable mart was built in it (a partial selection is not
      published, so the published tables always come from one build).
    Otherwise the published tables stay exactly as they were and the log
    says why. `--vars '{publish: false}'` turns publication off.
#}
{% macro publish_marts(results) %}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set decision = publication_decision(results) -%}
    {%- if decision.reason -%}
        {{- log('leadscore: published marts left unchanged: ' ~ decision.reason, info=true) -}}
        {{- return('') -}}
    {%- endif -%}
    {%- set pairs = [] -%}
    {%- for node in decision.marts -%}
        {%- do pairs.append({
            'node': node,
            'source': api.Relation.create(
                database=node.database, schema=node.schema, identifier=node.alias, type='table'),
            'target': published_relation(node),
        }) -%}
    {%- endfor -%}
    {%- set statements = adapter.dispatch('publication_statements', 'leadscore')(pairs) -%}
    {{- log('leadscore: publishing ' ~ pairs | length ~ ' marts to ' ~ published_schema()
        ~ ': ' ~ (pairs | map(attribute='node') | map(attribute='alias') | join(', ')), info=true) -}}
    {%- if target.type == 'spark' -%}
        {#- One statement per call; no transaction to keep them together. -#}
        {%- for statement in statements -%}
            {%- do run_query(statement) -%}
        {%- endfor -%}
        {{- return('') -}}
    {%- endif -%}
    {#-
        One block of statements, run as the hook's SQL: if one fails, dbt
        reports the hook as failed and the transaction never commits, so
        the published tables stay as they were.
    -#}
    {{- return(statements | join(';\n') ~ ';') -}}
{% endmacro %}

{# The schema BI tools read: the target's own schema. #}
{% macro published_schema() %}
    {{- return(target.schema) -}}
{% endmacro %}

{# The published relation of a mart node. #}
{% macro published_relation(node) %}
    {{- return(api.Relation.create(
        database=node.database, schema=published_schema(), identifier=node.alias, type='table')) -}}
{% endmacro %}

{#
    The statements that record a publication in `leadscore_publications`
    (in the published schema): one row per publication with the dbt
    invocation, when the build started and when it published (UTC), its
    score time T and the marts published. Part of the publication (the same
    transaction), so BI and scripts/export_marts.py can tell which build
    they read.
#}
{% macro publication_log_statements(pairs) %}
    {%- set log_table = api.Relation.create(
        database=(pairs | first).target.database, schema=published_schema(), identifier='leadscore_publications') -%}
    {%- set score_times = (graph.nodes.values() | selectattr('name', 'equalto', 'int_score_times') | first) -%}
    {%- set score_times_relation = api.Relation.create(
        database=score_times.database, schema=score_times.schema, identifier=score_times.alias) -%}
    {%- set marts = pairs | map(attribute='node') | map(attribute='alias') | join(',') -%}
    {{- return([
        'create table if not exists ' ~ log_table ~ ' (invocation_id ' ~ dbt.type_string()
            ~ ', build_started_at ' ~ dbt.type_timestamp() ~ ', published_at ' ~ dbt.type_timestamp()
            ~ ', scored_at ' ~ dbt.type_timestamp()
            ~ ', marts ' ~ dbt.type_string() ~ ')'
            ~ (' using ' ~ var('spark_file_format', 'parquet') if target.type == 'spark' else ''),
        'insert into ' ~ log_table ~ ' select '
            ~ "'" ~ invocation_id ~ "', "
            ~ "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as " ~ dbt.type_timestamp() ~ "), "
            ~ "cast('" ~ modules.datetime.datetime.now(modules.pytz.utc).strftime('%Y-%m-%d %H:%M:%S.%f')
            ~ "' as " ~ dbt.type_timestamp() ~ "), "
            ~ '(select max(scored_at) from ' ~ score_times_relation ~ ' where is_current), '
            ~ "'" ~ marts ~ "'",
    ]) -}}
{% endmacro %}

{# The publishable mart nodes of the project, by name. #}
{% macro publishable_marts() %}
    {%- set marts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
            and (node.config.meta or {}).get('publish') -%}
            {%- do marts.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(marts) -}}
{% endmacro %}

{#
    Whether to publish: {'reason': why not (empty to publish), 'marts': the
    mart nodes}, from the invocation's command, vars and node results
    (tests/python/test_reliability_publication.py covers each reason).
#}
{% macro publication_decision(results) %}
    {%- set marts = publishable_marts() -%}
    {%- set command = invocation_args_dict.get('which') -%}
    {%- if not var('publish', true) -%}
        {{- return({'reason': "publication is off (var 'publish' is false)", 'marts': marts}) -}}
    {%- endif -%}
    {%- if command != 'build' -%}
        {{- return({'reason': "only `dbt build` publishes (this was `dbt " ~ command ~ "`)", 'marts': marts}) -}}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set skipped = [] -%}
    {%- set built = [] -%}
    {%- for result in results -%}
        {%- set status = result.status | string | lower -%}
        {%- if status in ('error', 'fail', 'runtime error') -%}
            {%- do problems.append(result.node.name ~ ' (' ~ status ~ ')') -%}
        {%- elif status == 'skipped' -%}
            {%- do skipped.append(result.node.name ~ ' (skipped)') -%}
        {%- elif result.node.resource_type == 'model' -%}
            {%- do built.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems or skipped -%}
        {#- Name what failed; what dbt skipped because of it is only counted. -#}
        {%- set named = problems if problems else skipped -%}
        {%- set reason = named | length ~ ' node(s) did not pass: '
            ~ (named[:10] | join(', ')) ~ ('...' if named | length > 10 else '') -%}
        {%- if problems and skipped -%}
            {%- set reason = reason ~ '; ' ~ skipped | length ~ ' skipped after it' -%}
        {%- endif -%}
        {{- return({'reason': reason, 'marts': marts}) -}}
    {%- endif -%}
    {%- set missing = [] -%}
    {%- for node in marts if node.unique_id not in built -%}
        {%- do missing.append(node.name) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{- return({'reason': 'this build did not build every mart (not selected: '
            ~ missing | join(', ') ~ '); run a full `dbt build` to publish', 'marts': marts}) -}}
    {%- endif -%}
    {{- return({'reason': '', 'marts': marts}) -}}
{% endmacro %}

{#
    The statements that publish every (source, target) pair, all or nothing.

    DuckDB: one transaction of `create or replace table`.
#}
{% macro default__publication_statements(pairs) %}
    {%- set statements = ['create schema if not exists ' ~ adapter.quote(published_schema()), 'begin transaction'] -%}
    {%- for pair in pairs -%}
        {%- do statements.append('create or replace table ' ~ pair.target ~ ' as select * from ' ~ pair.source) -%}
    {%- endfor -%}
    {%- do statements.extend(publication_log_statements(pairs)) -%}
    {%- do statements.append('commit') -%}
    {{- return(statements) -}}
{% endmacro %}

{#
    PostgreSQL: one transaction. A published table of the same columns is
    truncated and refilled, so its indexes, grants and the views BI users
    built on it stay; a new table (or one whose columns changed, which is
    dropped first, failing if a view of the user's depends on it) copies
    the build table's columns and indexes (`like ... including all`).
    Grants are brought in line with the mart's `grants` config (dbt's own
    diff against the table's current grants); then `analyze`.
#}
{% macro postgres__publication_statements(pairs) %}
    {%- set statements = ['create schema if not exists ' ~ adapter.quote(published_schema()), 'begin'] -%}
    {%- for pair in pairs -%}
        {%- set existing = adapter.get_relation(
            database=pair.target.database, schema=pair.target.schema, identifier=pair.target.identifier) -%}
        {%- set same_shape = existing is not none and existing.type == 'table'
            and column_signature(pair.target) == column_signature(pair.source) -%}
        {%- set grant_config = pair.node.config.get('grants') or {} -%}
        {%- if same_shape -%}
            {%- do statements.append('truncate table ' ~ pair.target) -%}
            {%- set current = adapter.standardize_grants_dict(run_query(get_show_grant_sql(pair.target))) -%}
            {%- set revokes = get_dcl_statement_list(pair.target, diff_of_two_dicts(current, grant_config), get_revoke_sql)
                if grant_config else [] -%}
            {%- set grants = get_dcl_statement_list(pair.target, diff_of_two_dicts(grant_config, current), get_grant_sql) -%}
        {%- else -%}
            {%- if existing is not none -%}
                {%- do statements.append('drop ' ~ existing.type ~ ' ' ~ pair.target) -%}
            {%- endif -%}
            {%- do statements.append('create table ' ~ pair.target ~ ' (like ' ~ pair.source ~ ' including all)') -%}
            {%- set revokes = [] -%}
            {%- set grants = get_dcl_statement_list(pair.target, grant_config, get_grant_sql) -%}
        {%- endif -%}
        {%- do statements.append('insert into ' ~ pair.target ~ ' select * from ' ~ pair.source) -%}
        {%- do statements.extend(revokes + grants) -%}
    {%- endfor -%}
    {%- do statements.extend(publication_log_statements(pairs)) -%}
    {%- do statements.append('commit') -%}
    {%- for pair in pairs -%}
        {%- do statements.append('analyze ' ~ pair.target) -%}
    {%- endfor -%}
    {{- return(statements) -}}
{% endmacro %}

{#
    Spark: no multi-table transactions. Each published table is overwritten
    in turn (`insert overwrite` when it exists with the same columns, else
    dropped and created), so during publication a reader may see some marts
    of the new build and some of the previous one (README, "Publication").
#}
{% macro spark__publication_statements(pairs) %}
    {%- set statements = ['create schema if not exists ' ~ published_schema()] -%}
    {%- set file_format = var('spark_file_format', 'parquet') -%}
    {%- for pair in pairs -%}
        {%- set existing = adapter.get_relation(
            database=pair.target.database, schema=pair.target.schema, identifier=pair.target.identifier) -%}
        {%- if existing is not none and existing.type == 'table'
            and column_signature(pair.target) == column_signature(pair.source) -%}
            {%- do statements.append('insert overwrite table ' ~ pair.target ~ ' select * from ' ~ pair.source) -%}
        {%- else -%}
            {%- if existing is not none -%}
                {%- do statements.append('drop ' ~ existing.type ~ ' if exists ' ~ pair.target) -%}
            {%- endif -%}
            {%- do statements.append('create table ' ~ pair.target ~ ' using ' ~ file_format
                ~ ' as select * from ' ~ pair.source) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do statements.extend(publication_log_statements(pairs)) -%}
    {{- return(statements) -}}
{% endmacro %}

{# Column names and types of a relation, in order, as one comparable string. #}
{% macro column_signature(relation) %}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {{- return(columns | map(attribute='name') | map('lower') | join(',') ~ '|'
        ~ columns | map(attribute='dtype') | map('lower') | join(',')) -}}
{% endmacro %}
