{{ config(indexes=mart_indexes(['model_id', 'contact_id'])) }}

{{ current_entity_scores('contact', ['contact_id', 'company_id', 'owner_id']) }}
