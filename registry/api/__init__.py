"""The JSON API (v1), its problem-details errors and its OpenAPI document."""
