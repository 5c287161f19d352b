"""The wire shapes: one typed model per JSON document Ikrar reads or serves.

The signing core checks records with :mod:`registry.wire.record`; ``/openapi.json`` generates its
``components/schemas`` from every model here (registry/api/openapi.py). Nothing here imports Flask
or the database. ``tools/verify_log.py`` keeps its own reading of the record on purpose: it is the
independent verifier.
"""
