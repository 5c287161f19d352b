"""The signing core of Ikrar: canonical bytes, keys, signatures, the log, proofs, notes.

Nothing in this package imports Flask or the database, so the CLI verifier and the
auditors' tools reuse it unchanged.
"""
