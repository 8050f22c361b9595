"""Create, send, sign, decline, cancel and complete Sign Requests."""

from __future__ import annotations

import datetime as dt
import json

import frappe
from frappe import _
from frappe.utils import add_days, cint, get_url, now_datetime

from crm_sign.crm_sign.doctype.sign_request.sign_request import FINAL_STATUSES, OPEN_STATUSES
from crm_sign.engine import tokens
from crm_sign.engine.fields import FillerRole
from crm_sign.engine.pdf import sha256_hex, stamp
from crm_sign.signing import events
from crm_sign.signing.audit_log import log_event
from crm_sign.signing.documents import (
	FIELD_TYPE_LABELS,
	FILLED_BY_LABELS,
	place_fields,
	prefilled_values,
	render_template_pdf,
	template_fields,
)
from crm_sign.signing.recipients import Recipient, find_recipient, require_contact
from crm_sign.signing.settings import contact_fields, get_settings, token_secret

SIGNING_ROLES = ("Company", "Counterparty")


def last_used_template(doctype: str) -> str | None:
	"""The enabled template this doctype used most recently (offered first, with Reuse)."""
	rows = frappe.get_all(
		"Sign Template",
		filters={"reference_doctype": doctype, "enabled": 1, "last_used_on": ("is", "set")},
		order_by="last_used_on desc",
		pluck="name",
		limit=1,
	)
	return rows[0] if rows else None


def create_sign_request(
	doc,
	template_name: str,
	*,
	recipient: Recipient | None = None,
	channel: str | None = None,
	company_signer: str | None = None,
	send: bool = True,
):
	"""Generate the template's document from `doc` and (by default) send it for signature."""
	doc.check_permission("read")
	frappe.has_permission("Sign Request", "create", throw=True)
	template = frappe.get_doc("Sign Template", template_name)
	if template.reference_doctype != doc.doctype:
		frappe.throw(
			_("Sign Template {0} is for {1}, not {2}").format(
				template.name, _(template.reference_doctype), _(doc.doctype)
			)
		)
	if not template.enabled:
		frappe.throw(_("Sign Template {0} is disabled").format(template.name))
	settings = get_settings()
	channel = channel or template.channel or settings.default_channel or "Email"
	recipient = recipient or find_recipient(doc)
	require_contact(doc, recipient, channel)
	signer_user = company_signer or resolve_company_signer(template, doc)

	rendered = render_template_pdf(template, doc)
	fields, hits = place_fields(template_fields(template), rendered)
	prefilled = prefilled_values(doc, fields)
	values = {value.field.name: value.value for value in prefilled}
	# The signer sees, and the original hash covers, the document with the record's values in it.
	pdf = stamp(rendered, prefilled, hide=hits)

	request = frappe.new_doc("Sign Request")
	request.update(
		{
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"template": template.name,
			"title": f"{template.template_name}: {doc.get_title() or doc.name}",
			"channel": channel,
			"signing_order": template.signing_order or settings.signing_order or "Company first",
			"otp_method": template.otp_method or settings.otp_method or "None",
			"language": template.language or frappe.local.lang,
			"original_sha256": sha256_hex(pdf),
			"expires_on": add_days(
				now_datetime(), cint(template.link_lifetime_days or settings.link_lifetime_days or 14)
			),
		}
	)
	_add_signers(request, template, recipient, signer_user, channel)
	for field in fields:
		request.append(
			"field_values",
			{
				"field_name": field.name,
				"field_label": field.label,
				"field_type": FIELD_TYPE_LABELS[field.type],
				"filled_by": FILLED_BY_LABELS[field.role],
				"value": _stored_value(values.get(field.name)),
				"page": (field.page or 0) + 1,
				"pos_x": field.box.x,
				"pos_y": field.box.y,
				"width": field.box.w,
				"height": field.box.h,
				"anchor": field.anchor,
				"font_size": field.font_size,
				"required": int(field.required),
				"value_format": field.format,
			},
		)
	request.insert()
	file = save_private_file(request, f"{request.name}-unsigned.pdf", pdf, "unsigned_pdf")
	request.db_set("unsigned_pdf", file.file_url)
	log_event(request, "created", data={"template": template.name, "channel": channel})
	frappe.db.set_value(
		"Sign Template",
		template.name,
		{"last_used_on": now_datetime(), "use_count": cint(template.use_count) + 1},
		update_modified=False,
	)
	if send:
		send_request(request)
	return request


def _stored_value(value) -> str:
	if value is None:
		return ""
	if isinstance(value, bool):
		return "1" if value else "0"
	return str(value)


def resolve_company_signer(template, doc) -> str:
	"""The template's user, else the record's owner field (e.g. the deal owner), else the sender."""
	field = template.company_signer_field or contact_fields(doc.doctype).company_signer_field
	user = template.company_signer or (doc.get(field) if field else None) or frappe.session.user
	if user in ("Guest", None) or not frappe.db.get_value("User", user, "enabled"):
		frappe.throw(_("The company signer {0} is not an active user").format(user or "-"))
	return user


def _add_signers(request, template, recipient: Recipient, company_user: str, channel: str) -> None:
	order = request.signing_order
	steps = {"Company first": (1, 2), "Counterparty first": (2, 1), "Parallel": (1, 1)}[order]
	roles = [row.signer_role for row in template.roles] or list(SIGNING_ROLES)
	if "Company" in roles:
		request.append(
			"signers",
			{
				"signer_role": "Company",
				"signer_name": frappe.db.get_value("User", company_user, "full_name") or company_user,
				"email": frappe.db.get_value("User", company_user, "email") or company_user,
				"user": company_user,
				"channel": "Email",
				"signing_step": steps[0],
				"status": "Waiting",
			},
		)
	if "Counterparty" in roles:
		request.append(
			"signers",
			{
				"signer_role": "Counterparty",
				"signer_name": recipient.name or recipient.email or recipient.mobile,
				"email": recipient.email,
				"mobile": recipient.mobile,
				"channel": channel,
				"signing_step": steps[1],
				"status": "Waiting",
			},
		)


def signing_rows(request) -> list:
	return [row for row in request.signers if row.signer_role in SIGNING_ROLES]


def send_request(request) -> None:
	"""Mark the request Sent and invite the first step's signers."""
	if request.status != "Draft":
		frappe.throw(_("Sign Request {0} was already sent").format(request.name))
	request.db_set({"status": "Sent", "sent_on": now_datetime()})
	activate_next_signers(request)


def activate_next_signers(request) -> list:
	"""Invite every signer of the lowest step that still has unsigned signers."""
	pending = [row for row in signing_rows(request) if row.status not in ("Signed", "Declined")]
	if not pending:
		return []
	step = min(cint(row.signing_step) for row in pending)
	invited = []
	for row in pending:
		if cint(row.signing_step) == step and row.status == "Waiting":
			row.db_set("status", "Pending")
			invite_signer(request, row)
			invited.append(row)
	return invited


def invite_signer(request, row, reason: str = "invite") -> None:
	"""A fresh link for `row`, delivered through its channel (the company signer gets a ToDo too)."""
	from crm_sign.signing import delivery

	link = issue_link(request, row)
	if row.signer_role == "Company" and row.user:
		assign_company_signer(request, row)
	delivery.deliver(request, row, link, reason=reason)


def issue_link(request, row) -> str:
	"""A new 256-bit token for the signer; only its HMAC is stored, so older links stop working."""
	token = tokens.new_token()
	row.db_set(
		{
			"token_hash": tokens.hash_token(token, token_secret()),
			"token_expires_on": request.expires_on,
		}
	)
	return signing_url(token)


def signing_url(token: str) -> str:
	return get_url(f"/sign/{token}")


def assign_company_signer(request, row) -> None:
	if row.todo and frappe.db.get_value("ToDo", row.todo, "status") == "Open":
		return
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": row.user,
			"reference_type": "Sign Request",
			"reference_name": request.name,
			"description": _("Sign {0} for {1} {2}").format(
				request.title, _(request.reference_doctype), request.reference_name
			),
			"priority": "High",
			"assigned_by": request.owner,
		}
	).insert(ignore_permissions=True)
	row.db_set("todo", todo.name)


def find_signer_by_token(token: str):
	"""(request, signer row) for a link token, or (None, None). The token is compared by its HMAC."""
	if not tokens.is_well_formed(token):
		return None, None
	token_hash = tokens.hash_token(token, token_secret())
	parent = frappe.db.get_value(
		"Sign Request Signer", {"token_hash": token_hash, "parenttype": "Sign Request"}, "parent"
	)
	if not parent:
		return None, None
	request = frappe.get_doc("Sign Request", parent)
	row = next(row for row in request.signers if row.token_hash == token_hash)
	return request, row


def link_state(request, row) -> str:
	"""What the signing page should show: open, signed, completed, declined, cancelled, expired, waiting."""
	if request.status == "Completed":
		return "completed"
	if request.status in ("Declined", "Cancelled", "Expired"):
		return request.status.lower()
	if row.status == "Signed":
		return "signed"
	# A link dies with its own expiry or the request's, whichever comes first.
	if any(
		when and now_datetime() >= _as_datetime(when) for when in (row.token_expires_on, request.expires_on)
	):
		return "expired"
	if row.status not in ("Pending", "Viewed"):
		return "waiting"
	return "open"


def _as_datetime(value) -> dt.datetime:
	from frappe.utils import get_datetime

	return get_datetime(value)


def mark_viewed(request, row) -> None:
	if row.status == "Pending":
		row.db_set({"status": "Viewed", "viewed_on": now_datetime()})
		if request.status == "Sent":
			request.db_set("status", "Viewed")
		log_event(request, "viewed", actor=row.email or row.mobile or row.signer_name, who=row.signer_name)
		events.publish(request, "viewed", row)


def record_signature(request, row, values: dict[str, str], signature_image: str) -> None:
	"""Store `row`'s field values and signature, then invite the next signers or finalize.

	The Sign Request row is locked first, so two simultaneous submissions give one signature.
	"""
	from crm_sign.signing import finalize

	frappe.db.get_value("Sign Request", request.name, "name", for_update=True)
	request.reload()
	row = next(r for r in request.signers if r.name == row.name)
	if row.status == "Signed":
		frappe.throw(_("This document is already signed."), title=_("Already signed"))
	state = link_state(request, row)
	if state == "waiting":
		frappe.throw(_("It is not your turn to sign yet."), title=_("Please wait"))
	if state != "open":
		frappe.throw(_("This link can no longer be used to sign."), title=_("Link closed"))
	role = FillerRole.COMPANY if row.signer_role == "Company" else FillerRole.COUNTERPARTY
	filled = FILLED_BY_LABELS[role]
	from crm_sign.signing.signer_fields import validated_values

	clean = validated_values(request, row, filled, values, signature_image)
	for field_row in request.field_values:
		if field_row.filled_by == filled and field_row.field_name in clean:
			field_row.db_set({"value": clean[field_row.field_name], "signer_row": row.name})
	ip = getattr(frappe.local, "request_ip", None) or ""
	user_agent = (
		(frappe.get_request_header("User-Agent") or "")[:500]
		if getattr(frappe.local, "request", None)
		else ""
	)
	row.db_set(
		{
			"status": "Signed",
			"signed_on": now_datetime(),
			"ip_address": ip,
			"user_agent": user_agent,
			"signature_image": signature_image,
			"token_hash": row.token_hash,  # the link stays valid to download the sealed copy
		}
	)
	if row.todo:
		frappe.db.set_value("ToDo", row.todo, "status", "Closed")
	log_event(
		request,
		"signed",
		actor=row.email or row.mobile or row.user or row.signer_name,
		who=row.signer_name,
		data={
			"role": row.signer_role,
			"fields": sorted(clean),
			"signature_sha256": sha256_hex(signature_image.encode()),
		},
	)
	events.publish(request, "signed", row)
	# "Partially Signed" until the sealed file exists; the sweep finds requests stuck here.
	request.db_set("status", "Partially Signed")
	if all(r.status == "Signed" for r in signing_rows(request)):
		finalize.enqueue_finalize(request.name)
	else:
		activate_next_signers(request)


def decline(request, row, reason: str) -> None:
	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Please give a reason for declining."), title=_("Reason required"))
	frappe.db.get_value("Sign Request", request.name, "name", for_update=True)
	request.reload()
	row = next(r for r in request.signers if r.name == row.name)
	if link_state(request, row) != "open":
		frappe.throw(_("This link can no longer be used."), title=_("Link closed"))
	row.db_set("status", "Declined")
	request.db_set({"status": "Declined", "declined_reason": reason[:1000]})
	_close_todos(request)
	log_event(
		request,
		"declined",
		actor=row.email or row.mobile or row.signer_name,
		who=row.signer_name,
		detail=reason[:1000],
	)
	events.publish(request, "declined", row)


def cancel_request(request) -> None:
	if request.status in FINAL_STATUSES:
		frappe.throw(_("A {0} request cannot be cancelled").format(_(request.status)))
	request.db_set("status", "Cancelled")
	_close_todos(request)
	log_event(request, "cancelled")
	events.publish(request, "cancelled", None)


def expire_request(request) -> None:
	request.db_set("status", "Expired")
	_close_todos(request)
	log_event(request, "expired", actor="system")
	events.publish(request, "expired", None)


def resend(request) -> list:
	"""New links for every signer whose turn it is (older links stop working)."""
	if request.status not in OPEN_STATUSES:
		frappe.throw(_("Only a sent request can be resent"))
	rows = [row for row in signing_rows(request) if row.status in ("Pending", "Viewed")]
	for row in rows:
		row.db_set({"delivery_attempts": 0, "last_delivery_error": "", "next_retry_on": None})
		invite_signer(request, row, reason="resend")
	return rows


def _close_todos(request) -> None:
	for row in request.signers:
		if row.todo:
			frappe.db.set_value("ToDo", row.todo, "status", "Cancelled")


def save_private_file(
	request, file_name: str, content: bytes, fieldname: str | None = None, *, doctype=None, name=None
):
	return frappe.get_doc(
		{
			"doctype": "File",
			"file_name": file_name,
			"content": content,
			"is_private": 1,
			"attached_to_doctype": doctype or "Sign Request",
			"attached_to_name": name or request.name,
			"attached_to_field": fieldname,
		}
	).insert(ignore_permissions=True)


def dumps(value) -> str:
	return json.dumps(value, ensure_ascii=False, default=str)
