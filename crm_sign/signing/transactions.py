"""Undoing a failed step without undoing the work around it."""

from __future__ import annotations

import frappe


def rollback_to(savepoint: str) -> None:
	"""Roll back to `savepoint`. When something in between committed, the savepoint is gone (MariaDB
	error 1305) and the open transaction is rolled back instead: Frappe's print view commits its Access
	Log while a Print Format is rendered, so a request made from one may fail after such a commit."""
	try:
		frappe.db.rollback(save_point=savepoint)
	except Exception as e:
		if "1305" not in str(getattr(e, "args", ("",))[0]) and "SAVEPOINT" not in str(e).upper():
			raise
		frappe.db.rollback()
