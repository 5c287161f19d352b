"""Public web endpoints outside the versioned API: well-known documents, pages, security headers."""
