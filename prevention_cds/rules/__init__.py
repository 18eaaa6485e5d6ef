"""Pure clinical rule domain: typed facts in, typed advice out. No Flask, no HTTP, no FHIR models."""
