"""The population scan (``prevention-cds scan``): a bulk FHIR export in, per-patient and aggregate tables and a
report out, through the same record and rules as the services.

Out of core by hash partitioning (a MapReduce-style shuffle): routing tasks read the export in chunks and spill
each resource, keyed by its patient, into runs of on-disk partitions; evaluation tasks then take one partition
each, group its resources by patient and evaluate them. Chunks and partitions are the units of work, for local
processes or a Dask cluster alike. See docs/scan.md.
"""
