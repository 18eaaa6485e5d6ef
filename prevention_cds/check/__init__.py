"""``prevention-cds check``: a FHIR server probed with the services' prefetch queries before going live."""
