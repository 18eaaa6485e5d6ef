"""The infection-control workspace: investigations around an index case, their contacts, every contact's
decision through the same record builder and rule sets as the CDS Hooks services, the documents to print and the
follow-up. No clinical rule lives here: contacts become FHIR resources that ``prevention_cds.evaluate`` reads."""
