"""The CDS Hooks 2.0 protocol layer (discovery, request envelope, errors, draft orders, feedback)."""
