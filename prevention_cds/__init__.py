"""HTTP, CDS Hooks protocol, FHIR access, configuration and command line of prevention-cds."""
