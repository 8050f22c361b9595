"""Create, send, sign, decline, cancel and complete Sign Requests."""

from __future__ import annotations

import datetime as dt
import json

import frappe
from frappe import _
from frappe.utils import add_days, cint, get_url, now_datetime

from crm_sign.crm_sign.doctype.sign_request.sign_request import FINAL_STATUSES, OPEN_STATUSES
from crm_sign.engine import tokens
from crm_sign.engine.audit import canonical_json
from crm_sign.engine.pdf import sha256_hex, stamp
from crm_sign.signing import envelopes, events
from crm_sign.signing import signers as signer_roles
from crm_sign.signing.audit_log import log_event
from crm_sign.signing.documents import FIELD_TYPE_LABELS, FILLED_BY_LABELS, sendable_template
from crm_sign.signing.recipients import Recipient
from crm_sign.signing.settings import get_settings, token_secret
from crm_sign.signing.signer_fields import plain_text
from crm_sign.signing.verification import new_verify_code, verification_footer

SIGNING_ROLES = ("Company", "Counterparty")


class DocumentChangedError(frappe.ValidationError):
	"""Another signer signed since the page was loaded: the signer must see the new document."""

	http_status_code = 409


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
	signers: list[dict] | None = None,
	otp_method: str | None = None,
	documents: str | list | None = None,
	send: bool = True,
):
	"""Generate the template's document from `doc` and (by default) send it for signature.

	`signers` changes the people proposed for the template's roles: [{label, name, email, mobile}] for
	counterparties and CC, [{label, user}] for company roles (see signing/signers.py). `documents` adds
	more to the envelope: [{"template": name}] or [{"file_url": url}] (see signing/envelopes.py)."""
	doc.check_permission("read")
	frappe.has_permission("Sign Request", "create", throw=True)
	template = sendable_template(template_name, doc)
	settings = get_settings()
	channel = channel or template.channel or settings.default_channel or "Email"
	signing_order = template.signing_order or settings.signing_order or "Company first"
	people = signer_roles.proposed_signers(
		template, doc, signing_order, recipient=recipient, company_signer=company_signer
	)
	people = signer_roles.check_signers(doc, signer_roles.chosen_signers(people, signers), channel)

	# The signer sees, and the original hash covers, the document with the record's values in it and
	# the verification footer on every page (so what is sealed is what they saw).
	language = template.language or frappe.local.lang
	verify_code = new_verify_code()
	footer = verification_footer(verify_code, language)
	prepared = [envelopes.prepare_template_document(template, doc, footer)]
	prepared += envelopes.more_documents(doc, template, documents, footer)
	envelopes.check_signer_labels(prepared, people)
	if len(prepared) == 1:
		pdf, fields, parts = prepared[0].pdf, prepared[0].fields, []
	else:
		pdf, fields, parts = envelopes.combined(prepared)
	values = {value.field.name: value.value for document in prepared for value in document.prefilled}
	title = " + ".join(document.title for document in prepared)

	request = frappe.new_doc("Sign Request")
	request.update(
		{
			"reference_doctype": doc.doctype,
			"reference_name": doc.name,
			"template": template.name,
			"title": plain_text(f"{title}: {doc.get_title() or doc.name}", 140),
			"channel": channel,
			"signing_order": signing_order,
			"otp_method": otp_method or template.otp_method or settings.otp_method or "None",
			"language": language,
			"verify_code": verify_code,
			"original_sha256": sha256_hex(pdf),
			"expires_on": add_days(
				now_datetime(), cint(template.link_lifetime_days or settings.link_lifetime_days or 14)
			),
		}
	)
	for person in people:
		request.append(
			"signers",
			{
				"signer_role": person.side,
				"role_label": person.label,
				"signer_name": person.name,
				"email": person.email,
				"mobile": person.mobile,
				"user": person.user or None,
				"channel": "Email" if person.side == signer_roles.COMPANY else channel,
				"signing_step": person.step,
				"status": "Waiting",
			},
		)
	request.extend("documents", envelopes.document_rows(prepared, parts))
	labels = envelopes.signer_labels(prepared)
	for field in fields:
		request.append(
			"field_values",
			{
				"field_name": field.name,
				"field_label": field.label,
				"field_type": FIELD_TYPE_LABELS[field.type],
				"filled_by": FILLED_BY_LABELS[field.role],
				"signer_label": labels.get(field.name, ""),
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
	created = {"template": template.name, "channel": channel}
	if parts:
		created["documents"] = [document.title for document in prepared]
	log_event(request, "created", data=created)
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


def refresh_waiting(request) -> None:
	"""Whose turn it is, on the request itself: the workspace's cards count requests, not rows (a
	request waiting for two clients is one request waiting for the customer)."""
	open_request = request.status in OPEN_STATUSES
	turn = {row.signer_role for row in signing_rows(request) if row.status in ("Pending", "Viewed")}
	values = {
		"waiting_for_company": int(open_request and "Company" in turn),
		"waiting_for_customer": int(open_request and "Counterparty" in turn),
	}
	if any(int(request.get(key) or 0) != value for key, value in values.items()):
		# set_value, not db_set: bookkeeping is no status change (db_set runs on_change, i.e. webhooks)
		frappe.db.set_value("Sign Request", request.name, values, update_modified=False)
		request.update(values)


def signing_rows(request) -> list:
	return [row for row in request.signers if row.signer_role in SIGNING_ROLES]


def all_signed(request) -> bool:
	return all(row.status == "Signed" for row in signing_rows(request))


def locked_request(name: str):
	"""The request with its row lock held, its statuses and rows as last committed.

	MariaDB runs REPEATABLE READ: after waiting for the lock, a plain reload may still return the
	snapshot taken before another transaction committed. Locking reads always see the last commit,
	so the whole parent row (status, and the current document a parallel signer just stamped) and
	every child row are re-read that way."""
	fresh_parent = frappe.db.get_value("Sign Request", name, "*", as_dict=True, for_update=True)
	request = frappe.get_doc("Sign Request", name)
	request.update({k: v for k, v in (fresh_parent or {}).items() if k != "doctype"})
	for child_doctype, rows in (
		("Sign Request Signer", request.signers),
		("Sign Request Value", request.field_values),
	):
		fresh = {
			row.name: row
			for row in frappe.db.get_values(
				child_doctype,
				{"parent": name, "parenttype": "Sign Request"},
				"*",
				as_dict=True,
				for_update=True,
			)
		}
		for row in rows:
			if row.name in fresh:
				row.update({k: v for k, v in fresh[row.name].items() if k not in ("doctype",)})
	return request


def locked_signer(request, row):
	"""(request, row) re-read under the request's lock (see locked_request)."""
	request = locked_request(request.name)
	return request, next(r for r in request.signers if r.name == row.name)


def set_row(row, values: dict | str, value=None, update_modified: bool = True) -> None:
	"""Write a signer's or a value's row. Not Document.db_set: it first loads the row as it was (a query
	per call, several per signature) to run change hooks that child rows do not have; the request's
	own status changes keep db_set, which runs the webhooks."""
	values = {values: value} if isinstance(values, str) else values
	frappe.db.set_value(row.doctype, row.name, values, update_modified=update_modified)
	row.update(values)


def values_digest(values: dict[str, str]) -> str:
	"""SHA-256 of one signer's values (signature images included), as recorded in the audit log."""
	return sha256_hex(canonical_json({str(k): v or "" for k, v in values.items()}))


def signer_values(request, row) -> dict[str, str]:
	return {f.field_name: f.value or "" for f in request.field_values if f.signer_row == row.name}


def send_request(request) -> None:
	"""Mark the request Sent and invite the first step's signers."""
	if request.status != "Draft":
		frappe.throw(_("Sign Request {0} was already sent").format(request.name))
	request.db_set({"status": "Sent", "sent_on": now_datetime()})
	activate_next_signers(request)
	for row in request.signers:
		if row.signer_role == signer_roles.CC:  # a link to read now; the sealed copy comes at the end
			invite_signer(request, row)
	refresh_waiting(request)
	events.document_event(request)


def activate_next_signers(request) -> list:
	"""Invite every signer of the lowest step that still has unsigned signers."""
	pending = [row for row in signing_rows(request) if row.status not in ("Signed", "Declined")]
	if not pending:
		return []
	step = min(cint(row.signing_step) for row in pending)
	invited = []
	for row in pending:
		if cint(row.signing_step) == step and row.status == "Waiting":
			set_row(row, "status", "Pending")
			invite_signer(request, row)
			invited.append(row)
	return invited


ROTATING_REASONS = ("invite", "resend")


def invite_signer(request, row, reason: str = "invite") -> None:
	"""Deliver `row`'s link through its channel (the company signer gets a ToDo too). An invitation
	and an explicit Resend carry a new link; a reminder or retry repeats the one the signer has, so a
	link already open in a browser keeps working."""
	from crm_sign.signing import delivery

	if reason in ROTATING_REASONS or not row.get("token_sealed"):
		issue_link(request, row)
	if row.signer_role == "Company" and row.user:
		assign_company_signer(request, row)
	delivery.deliver(request, row, reason=reason)


def issue_link(request, row) -> str:
	"""A new 256-bit token for the signer; only its HMAC is stored, so older links stop working.

	A new link starts the one-time code afresh: a signer locked out by wrong codes gets a new chance
	only through a Resend, and a browser that confirmed the old link's code must confirm again."""
	from frappe.utils.password import encrypt

	token = tokens.new_token()
	set_row(
		row,
		{
			"token_hash": tokens.hash_token(token, token_secret()),
			# Encrypted with the site key (site_config), for reminders and retries that must repeat
			# the link the signer has; lookups only ever use the hash.
			"token_sealed": encrypt(token),
			"token_expires_on": request.expires_on,
			"otp_hash": "",
			"otp_expires_on": None,
			"otp_attempts": 0,
			"otp_sends": 0,
			"otp_last_sent_on": None,
			"otp_verified": 0,
			"otp_session_hash": "",
			"otp_session_expires_on": None,
		},
	)
	return signing_url(token)


def current_link(request, row) -> str:
	"""The link `row` was last sent, rebuilt from its encrypted token (never passed to jobs). A row
	from before tokens were kept encrypted gets a new link."""
	from frappe.utils.password import decrypt

	if not row.get("token_sealed"):
		return issue_link(request, row)
	return signing_url(decrypt(row.token_sealed))


def signing_url(token: str) -> str:
	return site_url(f"/sign/{token}")


def site_url(path: str) -> str:
	"""An absolute URL on this site from its configuration (host_name, else the site's name), never
	from the current request's Host or X-Forwarded-Host headers, which a guest controls."""
	had_request = hasattr(frappe.local, "request")
	request = getattr(frappe.local, "request", None)
	frappe.local.request = None  # get_url falls back to the request's host when host_name is unset
	try:
		return get_url(path)
	finally:
		if had_request:
			frappe.local.request = request
		else:
			del frappe.local.request  # a job has none; later code checks hasattr


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
	set_row(row, "todo", todo.name)


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
	if row.signer_role == signer_roles.CC:
		return "copy"  # reads the document, signs nothing
	if row.status not in ("Pending", "Viewed"):
		return "waiting"
	return "open"


def _as_datetime(value) -> dt.datetime:
	from frappe.utils import get_datetime

	return get_datetime(value)


def mark_viewed(request, row) -> None:
	if row.status == "Pending":
		set_row(row, {"status": "Viewed", "viewed_on": now_datetime()})
		if request.status == "Sent":
			request.db_set("status", "Viewed")
		log_event(request, "viewed", actor=row.email or row.mobile or row.signer_name, who=row.signer_name)
		events.publish(request, "viewed", row)


def record_signature(
	request, row, values: dict[str, str], signature_image: str, shown_sha256: str | None = None
) -> None:
	"""Store `row`'s field values and signature, then invite the next signers or finalize.

	Under the request's lock, so two simultaneous submissions give one signature. `shown_sha256` is
	the hash of the document the signer's page displayed: when another signer has signed since, the
	signer must look again, because what they sign is what gets sealed."""
	from crm_sign.signing import finalize
	from crm_sign.signing.audit_log import request_context
	from crm_sign.signing.signer_fields import validated_values

	request, row = locked_signer(request, row)
	if row.status == "Signed":
		frappe.throw(_("This document is already signed."), title=_("Already signed"))
	state = link_state(request, row)
	if state == "waiting":
		frappe.throw(_("It is not your turn to sign yet."), title=_("Please wait"))
	if state != "open":
		frappe.throw(_("This link can no longer be used to sign."), title=_("Link closed"))
	document_sha256 = current_document_sha256(request)
	if shown_sha256 and shown_sha256 != document_sha256:
		frappe.throw(
			_("The document was updated since you opened it. Please review it again before signing."),
			DocumentChangedError,
			title=_("Document updated"),
		)
	fields = signer_roles.fields_of(request, row)
	clean = validated_values(fields, row, values, signature_image)
	for field_row in fields:
		if field_row.field_name in clean:
			set_row(field_row, {"value": clean[field_row.field_name], "signer_row": row.name})
	ip, user_agent = request_context()
	digest = values_digest(signer_values(request, row))
	set_row(
		row,
		{
			"status": "Signed",
			"signed_on": now_datetime(),
			"ip_address": ip,
			"user_agent": user_agent,
			# The page sends its language (_lang), so this is the one the signer read the document in.
			"language": (getattr(frappe.local, "lang", None) or "en")[:10],
			"signature_image": signature_image,
			"document_sha256": document_sha256,
			"values_sha256": digest,
		},
	)
	if row.todo:
		frappe.db.set_value("ToDo", row.todo, "status", "Closed")
	complete = all_signed(request)
	next_document = None if complete else stamp_signed_values(request)
	log_event(
		request,
		"signed",
		actor=row.email or row.mobile or row.user or row.signer_name,
		who=row.signer_name,
		data={
			"role": row.signer_role,
			"signer": row.name,
			"fields": sorted(clean),
			"values_sha256": digest,
			"signature_sha256": sha256_hex(signature_image.encode()),
			"next_document_sha256": next_document or "",
		},
		document_sha256=document_sha256,
	)
	events.publish(request, "signed", row)
	# "Partially Signed" until the sealed file exists; the sweep finds requests stuck here.
	request.db_set("status", "Partially Signed")
	if not complete:
		activate_next_signers(request)
	refresh_waiting(request)
	if complete:
		finalize.enqueue_finalize(request.name)


def current_document_sha256(request) -> str:
	"""The hash of the document a signer is shown now: the original, or the one with earlier signers'
	values stamped in."""
	return request.get("current_sha256") or request.original_sha256


def stamp_signed_values(request) -> str:
	"""Stamp every value signed so far that is not in the document yet, so later signers see (and
	sign) what will be sealed. Returns the new document's hash."""
	from crm_sign.signing import files
	from crm_sign.signing.finalize import field_value

	rows = [r for r in signing_rows(request) if r.status == "Signed" and not r.get("values_stamped")]
	if not rows:
		return current_document_sha256(request)
	names = {r.name for r in rows}
	values = [
		field_value(f) for f in request.field_values if f.signer_row in names and f.value not in (None, "")
	]
	for r in rows:
		set_row(r, "values_stamped", 1)
	if not values:
		return current_document_sha256(request)
	pdf = stamp(files.current_document(request), values)
	sha = sha256_hex(pdf)
	file = save_private_file(request, f"{request.name}-{sha[:12]}.pdf", pdf, "current_pdf")
	request.db_set({"current_pdf": file.file_url, "current_sha256": sha})
	return sha


def decline(request, row, reason: str) -> None:
	reason = plain_text(reason, 1000)
	if not reason:
		frappe.throw(_("Please give a reason for declining."), title=_("Reason required"))
	request, row = locked_signer(request, row)
	if link_state(request, row) != "open":
		frappe.throw(_("This link can no longer be used."), title=_("Link closed"))
	set_row(row, {"status": "Declined", "language": (getattr(frappe.local, "lang", None) or "en")[:10]})
	request.db_set({"status": "Declined", "declined_reason": reason[:1000]})
	refresh_waiting(request)
	_close_todos(request)
	log_event(
		request,
		"declined",
		actor=row.email or row.mobile or row.signer_name,
		who=row.signer_name,
		detail=reason[:1000],
	)
	events.publish(request, "declined", row)


def cancel_request(request):
	request = locked_request(request.name)
	if request.status in FINAL_STATUSES or (request.status == "Partially Signed" and all_signed(request)):
		frappe.throw(_("A {0} request cannot be cancelled").format(_(request.status)))
	request.db_set("status", "Cancelled")
	refresh_waiting(request)
	_close_todos(request)
	log_event(request, "cancelled")
	events.publish(request, "cancelled", None)
	return request


def expire_request(request) -> bool:
	"""Expire an open request; one whose signers have all signed only waits for its seal and stays."""
	request = locked_request(request.name)
	if request.status not in OPEN_STATUSES or all_signed(request):
		return False
	request.db_set("status", "Expired")
	refresh_waiting(request)
	_close_todos(request)
	log_event(request, "expired", actor="system")
	events.publish(request, "expired", None)
	return True


def resend(request) -> list:
	"""New links for every signer whose turn it is (older links stop working)."""
	if request.status not in OPEN_STATUSES:
		frappe.throw(_("Only a sent request can be resent"))
	rows = [row for row in signing_rows(request) if row.status in ("Pending", "Viewed")]
	for row in rows:
		set_row(row, {"delivery_attempts": 0, "last_delivery_error": "", "next_retry_on": None})
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
