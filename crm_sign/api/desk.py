"""Whitelisted endpoints for the desk: the Sign dialog, preview, send, resend, cancel, company signing.

Each checks its caller: read on the record, read on the Sign Template it uses (templates hold the
texts and field maps of other teams), create on Sign Request where it creates one. State changes are
POST only.
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from crm_sign.engine.pdf import stamp
from crm_sign.signing import requests
from crm_sign.signing.documents import place_fields, prefilled_values, render_template_pdf, template_fields
from crm_sign.signing.recipients import Recipient, find_recipient
from crm_sign.signing.settings import enabled_doctypes, get_settings, require_enabled


def _readable_record(doctype: str, name: str):
	doc = frappe.get_doc(doctype, name)
	doc.check_permission("read")
	return doc


def _readable_template(template: str):
	template_doc = frappe.get_doc("Sign Template", template)
	template_doc.check_permission("read")
	return template_doc


@frappe.whitelist()
def get_sign_options(doctype: str, name: str) -> dict:
	"""What the Sign dialog offers: the last used template first (Reuse), the others, the recipient.
	Only the templates the user may read (role and user permissions) are offered."""
	doc = _readable_record(doctype, name)
	templates, last_used = _offered_templates(doctype)
	recipient = find_recipient(doc)
	return {
		"last_used": last_used,
		"templates": templates,
		"recipient": recipient.__dict__,
		"default_channel": get_settings().default_channel or "Email",
		"can_create_template": frappe.has_permission("Sign Template", "create"),
	}


@frappe.whitelist(methods=["POST"])
def send(
	doctype: str,
	name: str,
	template: str,
	channel: str | None = None,
	recipient: str | dict | None = None,
	signers: str | list | None = None,
	documents: str | list | None = None,
) -> dict:
	"""Create the request from the record and send it. `recipient` may override name/email/mobile of
	the record's contact; `signers` the person of each role ([{label, name, email, mobile, user}]);
	`documents` more documents for the envelope ([{template}] or [{file_url}])."""
	doc = _readable_record(doctype, name)
	frappe.has_permission("Sign Request", "create", throw=True)
	_readable_template(template)
	override = _recipient(doc, recipient)
	choices = json.loads(signers) if isinstance(signers, str) else signers
	if choices is not None and not isinstance(choices, list):
		frappe.throw(_("signers must be a list"))
	request = requests.create_sign_request(
		doc, template, recipient=override, channel=channel or None, signers=choices, documents=documents
	)
	return {"name": request.name, "status": frappe.db.get_value("Sign Request", request.name, "status")}


@frappe.whitelist()
def get_signers(doctype: str, name: str, template: str) -> list[dict]:
	"""The roles of `template` with the person proposed for each from the record (the Sign dialog
	lets the user change them)."""
	from crm_sign.signing.signers import proposed_signers

	doc = _readable_record(doctype, name)
	template_doc = _readable_template(template)
	order = template_doc.signing_order or get_settings().signing_order or "Company first"
	return [signer.as_dict() for signer in proposed_signers(template_doc, doc, order)]


def _recipient(doc, recipient: str | dict | None) -> Recipient | None:
	if not recipient:
		return None
	data = json.loads(recipient) if isinstance(recipient, str) else recipient
	found = find_recipient(doc)
	return Recipient(
		name=(data.get("name") or found.name or "").strip(),
		email=(data.get("email") or "").strip(),
		mobile=(data.get("mobile") or "").strip(),
	)


@frappe.whitelist()
def preview(doctype: str, name: str, template: str) -> None:
	"""The generated PDF with the record's values, before anything is sent (streams the file)."""
	doc = _readable_record(doctype, name)
	template_doc = _readable_template(template)
	pdf = render_template_pdf(template_doc, doc)
	fields, hits = place_fields(template_fields(template_doc), pdf)
	preview_pdf = stamp(pdf, prefilled_values(doc, fields), hide=hits)
	_stream_pdf(preview_pdf, f"{template_doc.template_name}-{doc.name}-preview.pdf")


@frappe.whitelist()
def preview_template(template: str) -> str:
	"""A URL that previews the template against its most recent record."""
	template_doc = _readable_template(template)
	names = frappe.get_list(template_doc.reference_doctype, pluck="name", order_by="modified desc", limit=1)
	if not names:
		frappe.throw(
			_("There is no {0} to preview this template with").format(_(template_doc.reference_doctype))
		)
	query = frappe.utils.get_url(
		"/api/method/crm_sign.api.desk.preview?"
		+ frappe.utils.urlencode(
			{"doctype": template_doc.reference_doctype, "name": names[0], "template": template}
		)
	)
	return query


def _stream_pdf(content: bytes, file_name: str) -> None:
	frappe.local.response.filename = file_name
	frappe.local.response.filecontent = content
	frappe.local.response.type = "pdf"


ACTING_ROLES = ("Sign User", "Sign Manager", "System Manager")


def _request_for_action(request: str):
	"""Resend and cancel act on a sent request, which nobody may edit: they need a signing role and
	read on the request, i.e. on its CRM record."""
	doc = frappe.get_doc("Sign Request", request)
	doc.check_permission("read")
	if not set(ACTING_ROLES) & set(frappe.get_roles()):
		frappe.throw(_("You are not allowed to act on Sign Requests"), frappe.PermissionError)
	return doc


@frappe.whitelist(methods=["POST"])
def resend(request: str) -> int:
	return len(requests.resend(_request_for_action(request)))


@frappe.whitelist(methods=["POST"])
def cancel(request: str) -> str:
	return requests.cancel_request(_request_for_action(request)).status


@frappe.whitelist(methods=["POST"])
def get_company_signing_link(request: str) -> str:
	"""A fresh signing link for the company signer, only for that user (or a System Manager)."""
	doc = frappe.get_doc("Sign Request", request)
	doc.check_permission("read")
	# With several company signers, the caller's own row.
	rows = [r for r in doc.signers if r.signer_role == "Company" and r.status in ("Pending", "Viewed")]
	row = next((r for r in rows if r.user == frappe.session.user), rows[0] if rows else None)
	if row is None:
		frappe.throw(_("It is not the company's turn to sign {0}").format(request))
	if row.user != frappe.session.user and "System Manager" not in frappe.get_roles():
		frappe.throw(_("Only {0} can sign for the company").format(row.user), frappe.PermissionError)
	# The link the company signer already has, so an open tab and the e-mailed link keep working.
	return requests.current_link(doc, row)


@frappe.whitelist()
def get_enabled_doctypes() -> list[str]:
	return enabled_doctypes()


@frappe.whitelist(methods=["POST"])
def start_bulk_send(doctype: str, names: str | list, template: str, channel: str | None = None) -> dict:
	"""Send one template to the records selected in a list view (background jobs, see bulk_send)."""
	from crm_sign.signing import bulk_send

	if isinstance(names, str):
		names = json.loads(names)
	if not isinstance(names, list):
		frappe.throw(_("names must be a list"))
	return bulk_send.start_bulk_send(doctype, names, template, channel or None)


@frappe.whitelist()
def bulk_send_status(batch: str) -> dict:
	from crm_sign.signing import bulk_send

	return bulk_send.bulk_send_status(batch)


@frappe.whitelist()
def get_bulk_send_options(doctype: str) -> dict:
	"""The templates the list view's Send for signature offers for `doctype`."""
	from crm_sign.signing.bulk_send import MAX_RECORDS

	require_enabled(doctype)
	templates, last_used = _offered_templates(doctype)
	return {
		"templates": templates,
		"last_used": last_used,
		"default_channel": get_settings().default_channel or "Email",
		"max_records": MAX_RECORDS,
	}


def _offered_templates(doctype: str) -> tuple[list, str | None]:
	"""The enabled templates of `doctype` the user may read (role and user permissions), the one used
	last first, and that one's name when the user may read it."""
	templates = []
	if frappe.has_permission("Sign Template", "read"):
		templates = frappe.get_list(
			"Sign Template",
			filters={"reference_doctype": doctype, "enabled": 1},
			fields=["name", "template_name", "document_kind", "last_used_on", "channel"],
			order_by="last_used_on desc, modified desc",
		)
	last_used = requests.last_used_template(doctype)
	return templates, last_used if last_used in {t.name for t in templates} else None
