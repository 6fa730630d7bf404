{{ stage_custom_properties('contact_properties', 'contact_id') }}
