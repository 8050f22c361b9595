"""Permissions follow the CRM record: who cannot read the Lead cannot read its Sign Requests,
their files or their audit events (desk, list, report and REST)."""

from __future__ import annotations

import frappe

UNRESTRICTED_ROLES = ("System Manager",)


def sign_request_has_permission(doc, ptype: str = "read", user: str | None = None) -> bool | None:
	user = user or frappe.session.user
	if user == "Administrator" or not doc.get("reference_doctype") or not doc.get("reference_name"):
		return None  # fall back to role permissions
	if not frappe.db.exists(doc.reference_doctype, doc.reference_name):
		return None
	# Reading a request needs read on the record; changing it (resend, cancel) needs read too, the
	# role permission on Sign Request decides the rest.
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

	doctypes = frappe.get_all(
		"Sign Request", distinct=True, pluck="reference_doctype", ignore_permissions=True
	)
	clauses = []
	for doctype in doctypes:
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


def audit_event_query_conditions(user: str | None = None) -> str:
	condition = sign_request_query_conditions(user, table="`tabSign Request`")
	if not condition:
		return ""
	return (
		"`tabSign Audit Event`.sign_request in (select `tabSign Request`.name from `tabSign Request` "
		f"where {condition})"
	)
