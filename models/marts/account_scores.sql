{{ config(indexes=mart_indexes(['model_id', 'company_id'])) }}

{{ current_entity_scores('company', ['company_id']) }}
