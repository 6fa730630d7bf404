{{ current_entity_scores('contact', ['contact_id', 'company_id', 'owner_id']) }}
