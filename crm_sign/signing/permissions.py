"""Permissions follow the CRM record: who cannot read the Lead cannot read its Sign Requests,
their files or their audit events (desk, list, report and REST)."""

from __future__ import annotations

import frappe

UNRESTRICTED_ROLES = ("System Manager",)
# Once sent, a request changes only through the signing services (they write with db_set).
CHANGING_PTYPES = ("write", "delete", "submit", "cancel", "amend")
REQUEST_DOCTYPES_CACHE_KEY = "crm_sign:request_reference_doctypes"


def sign_request_has_permission(doc, ptype: str = "read", user: str | None = None) -> bool | None:
	user = user or frappe.session.user
	if user == "Administrator" or not doc.get("reference_doctype") or not doc.get("reference_name"):
		return None  # fall back to role permissions
	if ptype in CHANGING_PTYPES and (doc.get("status") or "Draft") != "Draft":
		return False
	if not frappe.db.exists(doc.reference_doctype, doc.reference_name):
		return None
	# Reading a request needs read on the record; acting on it (resend, cancel) goes through
	# endpoints that check the role and the record again.
	return bool(frappe.has_permission(doc.reference_doctype, "read", doc.reference_name, user=user))


def audit_event_has_permission(doc, ptype: str = "read", user: str | None = None) -> bool | None:
	if ptype != "read" and ptype not in ("report", "export"):
		return False
	request = frappe.get_doc("Sign Request", doc.sign_request) if doc.get("sign_request") else None
	if request is None:
		return None
	return sign_request_has_permission(request, "read", user)


def sign_request_query_conditions(user: str | None = None, table: str = "`tabSign Request`") -> str:
	"""SQL that keeps only requests whose record the user may read (list, report, REST)."""
	user = user or frappe.session.user
	if user == "Administrator":
		return ""
	from frappe.model.db_query import DatabaseQuery

	clauses = []
	for doctype in request_reference_doctypes():
		if not frappe.has_permission(doctype, "read", user=user):
			continue
		query = DatabaseQuery(doctype, user=user)
		match = query.build_match_conditions(as_condition=True)  # user permissions, if_owner, hooks, shares
		quoted = frappe.db.escape(doctype)
		if match:
			clauses.append(
				f"({table}.reference_doctype = {quoted} and {table}.reference_name in "
				f"(select `tab{doctype}`.name from `tab{doctype}` where {match}))"
			)
		else:
			clauses.append(f"{table}.reference_doctype = {quoted}")
	return "(" + " or ".join(clauses) + ")" if clauses else "1=0"


def request_reference_doctypes() -> list[str]:
	"""The doctypes Sign Requests point at; cached, since every list and report load needs them."""
	return frappe.cache.get_value(
		REQUEST_DOCTYPES_CACHE_KEY,
		lambda: frappe.get_all(
			"Sign Request", distinct=True, pluck="reference_doctype", ignore_permissions=True
		),
	)


def clear_request_doctypes_cache(doc=None, method=None) -> None:
	frappe.cache.delete_value(REQUEST_DOCTYPES_CACHE_KEY)


def _within_permitted_requests(user: str | None, column: str) -> str:
	condition = sign_request_query_conditions(user, table="`tabSign Request`")
	if not condition:
		return ""
	return f"{column} in (select `tabSign Request`.name from `tabSign Request` where {condition})"


def audit_event_query_conditions(user: str | None = None) -> str:
	return _within_permitted_requests(user, "`tabSign Audit Event`.sign_request")


def signer_query_conditions(user: str | None = None) -> str:
	"""Signer rows (names, e-mails, mobiles, IPs, signatures) follow their request's record."""
	return _within_permitted_requests(user, "`tabSign Request Signer`.parent")


def value_query_conditions(user: str | None = None) -> str:
	return _within_permitted_requests(user, "`tabSign Request Value`.parent")


def document_query_conditions(user: str | None = None) -> str:
	"""An envelope's documents (titles, sealed files) follow their request's record too."""
	return _within_permitted_requests(user, "`tabSign Request Document`.parent")
