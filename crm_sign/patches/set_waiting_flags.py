"""Whose turn it is, on every open Sign Request (the workspace's cards count requests by these)."""

import frappe

from crm_sign.crm_sign.doctype.sign_request.sign_request import OPEN_STATUSES


def execute() -> None:
	from crm_sign.signing.requests import refresh_waiting

	for name in frappe.get_all("Sign Request", filters={"status": ("in", OPEN_STATUSES)}, pluck="name"):
		refresh_waiting(frappe.get_doc("Sign Request", name))
