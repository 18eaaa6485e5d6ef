"""Reading FHIR: the only place of the service that reads FHIR resources.

``record.build_record`` turns a patient's resources into the ``PatientRecord`` the rules use (one reader per
resource type, dispatched by ``record.READERS``); ``draft_orders.read_order_context`` reads the draft orders of
an order hook. Codes are classified through the project's ValueSets, dates read in practice time; what the record
states is weighed by the rules (``rules/evidence.py``), not here.
"""
