"""The thin Flask entrypoint: HTTP in, calls to the service layer, HTTP out."""
