"""Turns rule advice into CDS Hooks cards and FHIR resources, in French (default) or English."""
