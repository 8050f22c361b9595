"""Service layer: maps Frappe documents to the signing engine and back.

Controllers and whitelisted endpoints stay thin and call these functions.
"""
