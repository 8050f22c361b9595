"""Sign Requests on the CRM record's timeline (hook: additional_timeline_content)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import escape_html

INDICATORS = {
	"Draft": "gray",
	"Sent": "blue",
	"Viewed": "cyan",
	"Partially Signed": "orange",
	"Completed": "green",
	"Declined": "red",
	"Expired": "gray",
	"Cancelled": "gray",
}


def sign_request_timeline(doctype: str, docname: str) -> list[dict]:
	if doctype in ("Sign Request", "Sign Audit Event") or not frappe.db.exists("DocType", "Sign Request"):
		return []
	requests = frappe.get_all(
		"Sign Request",
		filters={"reference_doctype": doctype, "reference_name": docname},
		fields=["name", "title", "status", "creation", "signed_pdf", "declined_reason"],
		order_by="creation desc",
		limit=50,
	)
	if not requests:
		return []
	signers = frappe.get_all(
		"Sign Request Signer",
		filters={"parent": ("in", [r.name for r in requests]), "parenttype": "Sign Request"},
		fields=[
			"parent",
			"signer_name",
			"signer_role",
			"role_label",
			"status",
			"user",
			"delivery_status",
			"last_delivery_error",
		],
		order_by="idx asc",
	)
	by_request: dict[str, list] = {}
	for row in signers:
		by_request.setdefault(row.parent, []).append(row)
	documents: dict[str, list] = {}
	for row in frappe.get_all(
		"Sign Request Document",
		filters={"parent": ("in", [r.name for r in requests]), "parenttype": "Sign Request"},
		fields=["parent", "document_title", "signed_pdf"],
		order_by="idx asc",
	):
		documents.setdefault(row.parent, []).append(row)
	return [
		{
			"icon": "file",
			"is_card": True,
			"creation": request.creation,
			"content": render_card(
				request, by_request.get(request.name, []), documents.get(request.name, [])
			),
		}
		for request in requests
	]


def signed_files(request, documents: list) -> list[tuple[str, str]]:
	"""(button label, file URL) of each sealed file: one, or one per document of an envelope."""
	sealed = [row for row in documents if row.signed_pdf]
	if sealed:
		return [(_("Signed: {0}").format(row.document_title), row.signed_pdf) for row in sealed]
	return [(_("Signed PDF"), request.signed_pdf)] if request.signed_pdf else []


def render_card(request, signers: list, documents: list | None = None) -> str:
	"""HTML for one request; all user text escaped."""
	documents = documents or []
	name = escape_html(request.name)
	color = INDICATORS.get(request.status, "gray")
	people = "".join(
		f'<li>{escape_html(row.signer_name or "")} <span class="text-muted">({escape_html(row.role_label or _(row.signer_role))})</span>'
		+ (
			f' - <span class="text-muted small">{escape_html(_("receives a copy"))}</span>'
			if row.signer_role == "CC"
			else f' - <span class="indicator-pill {INDICATORS.get(row.status, "gray")} small">{escape_html(_(row.status))}</span>'
		)
		+ (
			f' <span class="text-danger small">{escape_html(row.last_delivery_error or "")}</span>'
			if row.delivery_status == "Failed"
			else ""
		)
		+ "</li>"
		for row in signers
	)
	actions = [
		f'<a class="btn btn-xs btn-default" href="/app/sign-request/{name}">{escape_html(_("Open"))}</a>'
	]
	if request.status in ("Sent", "Viewed", "Partially Signed"):
		actions.append(
			f'<button class="btn btn-xs btn-default crm-sign-resend" data-request="{name}">{escape_html(_("Resend"))}</button>'
		)
		if any(row.user == frappe.session.user and row.status in ("Pending", "Viewed") for row in signers):
			actions.append(
				f'<button class="btn btn-xs btn-primary crm-sign-company-sign" data-request="{name}">'
				f"{escape_html(_('Sign as company'))}</button>"
			)
	for label, file_url in signed_files(request, documents):
		actions.append(
			f'<a class="btn btn-xs btn-default" target="_blank" href="{escape_html(file_url)}">'
			f"{escape_html(label)}</a>"
		)
	progress = signing_progress(signers)
	progress = f' <span class="text-muted small">{escape_html(progress)}</span>' if progress else ""
	reason = (
		f'<div class="text-muted small">{escape_html(_("Reason"))}: {escape_html(request.declined_reason)}</div>'
		if request.declined_reason
		else ""
	)
	return (
		f'<div class="crm-sign-timeline-card" data-request="{name}">'
		f"<div><strong>{escape_html(request.title or request.name)}</strong> "
		f'<span class="indicator-pill {color}">{escape_html(_(request.status))}</span>{progress}</div>'
		f'<ul class="list-unstyled small" style="margin:6px 0">{people}</ul>{reason}'
		f'<div class="crm-sign-actions" style="display:flex;gap:6px">{"".join(actions)}</div></div>'
	)


def signing_progress(signers: list) -> str:
	"""'2 of 3 signed' while a request with several signers is under way."""
	signing = [row for row in signers if row.signer_role in ("Company", "Counterparty")]
	signed = sum(1 for row in signing if row.status == "Signed")
	if len(signing) < 2 or signed in (0, len(signing)):
		return ""
	return _("{0} of {1} signed").format(signed, len(signing))
