"""What users see of a plan: GeoJSON, CSV tables, charts and the HTML map."""
