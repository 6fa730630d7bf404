{{ stage_custom_properties('company_properties', 'company_id') }}
