"""The signing core: plain Python, no frappe import.

PDF fill and stamping, anchors, field maps, tokens and one-time codes, the hash-chained audit log,
the certificate page, the PAdES seal and its verification, and rule matching.
"""
