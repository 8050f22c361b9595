"""Append events to a Sign Request's hash-chained audit log and mirror them on the record's timeline."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import frappe
from frappe import _
from frappe.utils import escape_html, now_datetime

from crm_sign.engine.audit import AuditEntry, append_event, verify_chain
from crm_sign.engine.errors import AuditChainError
from crm_sign.signing.signer_fields import plain_text

# Events worth a line on the CRM record's timeline, with their wording.
TIMELINE_MESSAGES = {
	"sent": "Sent {title} for signature to {who}",
	"sent_copy": "Sent {title} for information to {who}",
	"delivery_failed": "Could not deliver {title} to {who}: {detail}",
	"viewed": "{who} opened {title}",
	"signed": "{who} signed {title}",
	"declined": "{who} declined to sign {title}: {detail}",
	"completed": "{title} is signed by everyone; the sealed PDF is attached",
	"cancelled": "Cancelled the signature request {title}",
	"expired": "The signature request {title} expired",
	"reminded": "Reminded {who} to sign {title}",
}


def audit_key() -> bytes:
	"""The key of every request's audit chain, derived from the site's encryption key, which lives in
	site_config.json: whoever can write the database cannot recompute the chain."""
	from frappe.utils.password import get_encryption_key

	return hmac.new(get_encryption_key().encode(), b"crm_sign audit chain", hashlib.sha256).digest()


def request_context() -> tuple[str, str]:
	"""The caller's IP and user agent when inside an HTTP request."""
	from crm_sign.signing.client import client_ip

	ip = client_ip()
	user_agent = ""
	if getattr(frappe.local, "request", None):
		user_agent = frappe.get_request_header("User-Agent") or ""
	return plain_text(ip, 64), plain_text(user_agent, 500)


def log_event(
	request,
	event: str,
	*,
	actor: str | None = None,
	who: str | None = None,
	detail: str = "",
	data: dict[str, Any] | None = None,
	document_sha256: str | None = None,
) -> AuditEntry:
	"""Append `event` to the request's chain. The request row is locked so concurrent appends serialise."""
	frappe.db.get_value("Sign Request", request.name, "name", for_update=True)
	# A locking read: a plain one could return this transaction's older snapshot and fork the chain
	# when two requests append at once (the unique index on sign_request + seq backs this up).
	last = frappe.db.get_values(
		"Sign Audit Event",
		{"sign_request": request.name},
		"*",
		order_by="seq desc",
		limit=1,
		as_dict=True,
		for_update=True,
	)
	previous = _entry_from_row(last[0]) if last else None
	ip, user_agent = request_context()
	payload = dict(data or {})
	if detail:
		payload.setdefault("detail", plain_text(detail))
	entry = append_event(
		previous,
		key=audit_key(),
		chain_id=request.name,
		event=event,
		at=now_datetime().isoformat(),
		actor=plain_text(actor or frappe.session.user, 140),
		ip=ip,
		user_agent=user_agent,
		document_sha256=document_sha256 or request.get("original_sha256") or "",
		data=payload,
	)
	frappe.get_doc(
		{
			"doctype": "Sign Audit Event",
			"sign_request": request.name,
			"seq": entry.seq,
			"event": entry.event,
			"event_at": entry.at,
			"actor": entry.actor,
			"ip_address": entry.ip,
			"user_agent": entry.user_agent,
			"document_sha256": entry.document_sha256,
			"data": json.dumps(entry.data, ensure_ascii=False, sort_keys=True),
			"prev_hash": entry.prev_hash,
			"hash": entry.hash,
		}
	).insert(ignore_permissions=True)
	if event in TERMINAL_EVENTS:
		request.db_set("audit_anchor_hash", entry.hash, update_modified=False)
	if event in TIMELINE_MESSAGES:
		wording = "sent_copy" if event == "sent" and payload.get("role") == "CC" else event
		add_timeline_comment(request, wording, who=who or actor or "", detail=detail)
	return entry


def add_timeline_comment(request, event: str, *, who: str = "", detail: str = "") -> None:
	"""An Info comment on the CRM record; every piece of user text is escaped."""
	title = request.get("title") or request.name
	link = f'<a href="/app/sign-request/{escape_html(request.name)}">{escape_html(title)}</a>'
	text = _(TIMELINE_MESSAGES[event]).format(
		title=link, who=escape_html(who or _("the signer")), detail=escape_html(detail or "")
	)
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": request.reference_doctype,
			"reference_name": request.reference_name,
			"content": text,
			"comment_email": request.owner,
			"comment_by": frappe.db.get_value("User", request.owner, "full_name") or request.owner,
		}
	).insert(ignore_permissions=True)


def chain_of(request_name: str) -> list[AuditEntry]:
	rows = frappe.get_all(
		"Sign Audit Event", filters={"sign_request": request_name}, fields=["*"], order_by="seq asc"
	)
	return [_entry_from_row(row) for row in rows]


# A request's chain is anchored on the request when it ends, whatever the ending: a log cut short
# afterwards no longer holds the anchored entry.
TERMINAL_EVENTS = ("completed", "declined", "expired", "cancelled")


def verify_request_chain(request_name: str, entries: list[AuditEntry] | None = None) -> str:
	"""The head hash; raises crm_sign.engine.errors.AuditChainError when the log was tampered with.
	`entries` saves reading the chain again when the caller already has it."""
	entries = chain_of(request_name) if entries is None else entries
	head = verify_chain(entries, request_name, key=audit_key())
	anchor = frappe.db.get_value("Sign Request", request_name, "audit_anchor_hash")
	if anchor and anchor not in {entry.hash for entry in entries}:
		raise AuditChainError(f"The audit log of {request_name} no longer holds its anchored final entry")
	return head


def _entry_from_row(row) -> AuditEntry:
	return AuditEntry(
		chain_id=row.sign_request,
		seq=row.seq,
		event=row.event,
		at=row.event_at,
		actor=row.actor or "",
		ip=row.ip_address or "",
		user_agent=row.user_agent or "",
		document_sha256=row.document_sha256 or "",
		data=json.loads(row.data or "{}"),
		prev_hash=row.prev_hash,
		hash=row.hash,
	)
