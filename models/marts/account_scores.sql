{{ current_entity_scores('company', ['company_id']) }}
