"""Bulk send from a list view: one template, many records, in background jobs.

Each record is its own transaction: its request is made, sent and committed, or everything it wrote
is rolled back and the record is listed as refused with the reason. A full rollback, not a savepoint:
only a rollback runs File.on_rollback, which removes the files the request had written to disk, and
drops the SMS jobs queued for after the commit. A batch's progress and results live in Redis for a day, readable
only by the user who started it.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import strip_html

from crm_sign.crm_sign.doctype.sign_request.sign_request import OPEN_STATUSES
from crm_sign.signing.settings import require_enabled

MAX_RECORDS = 500  # as Frappe's own bulk print and bulk edit
CHUNK_SIZE = 20  # records per job: several workers share a large batch
KEEP_SECONDS = 24 * 3600
SENT, REFUSED = "Sent", "Refused"


def _meta_key(batch: str) -> str:
	return f"crm_sign:bulk_send:{batch}"


def _results_key(batch: str) -> str:
	return f"crm_sign:bulk_send:{batch}:results"


def start_bulk_send(doctype: str, names: list[str], template: str, channel: str | None = None) -> dict:
	"""Check what can be checked once, then queue the records in chunks. Returns the batch id."""
	require_enabled(doctype)
	frappe.has_permission("Sign Request", "create", throw=True)
	template_doc = frappe.get_doc("Sign Template", template)
	template_doc.check_permission("read")
	if template_doc.reference_doctype != doctype or not template_doc.enabled:
		frappe.throw(_("Sign Template {0} cannot be used for {1}").format(template, _(doctype)))
	if channel not in (None, "", "Email", "SMS", "Email and SMS"):
		frappe.throw(_("Unknown channel {0}").format(channel))
	names = list(dict.fromkeys(str(name) for name in names if name))
	if not names:
		frappe.throw(_("Select at least one {0}").format(_(doctype)))
	if len(names) > MAX_RECORDS:
		frappe.throw(_("Send for signature takes at most {0} records at a time").format(MAX_RECORDS))

	batch = frappe.generate_hash(length=16)
	meta = {
		"user": frappe.session.user,
		"doctype": doctype,
		"template": template,
		"template_name": template_doc.template_name,
		"names": names,
	}
	frappe.cache.set_value(_meta_key(batch), json.dumps(meta), expires_in_sec=KEEP_SECONDS)
	for start in range(0, len(names), CHUNK_SIZE):
		frappe.enqueue(
			"crm_sign.signing.bulk_send.send_chunk",
			queue="long",
			timeout=3600,
			batch=batch,
			doctype=doctype,
			names=names[start : start + CHUNK_SIZE],
			template=template,
			channel=channel or None,
			now=bool(frappe.flags.in_test),
			enqueue_after_commit=not frappe.flags.in_test,
		)
	return {"batch": batch, "total": len(names)}


def send_chunk(batch: str, doctype: str, names: list[str], template: str, channel: str | None) -> None:
	"""Background job, as the user who started the batch (frappe.enqueue carries the session user)."""
	for name in names:
		frappe.db.commit()  # send_one's rollback must undo this record only
		result = send_one(doctype, name, template, channel)
		frappe.db.commit()  # the desk sees progress as it happens
		_record_result(batch, name, result)


def send_one(doctype: str, name: str, template: str, channel: str | None) -> dict:
	"""Make and send one record's request, or undo all of it and say why not. Called with nothing
	else uncommitted: a refusal rolls back the whole transaction."""
	from crm_sign.signing.requests import create_sign_request

	messages = len(frappe.local.message_log)
	try:
		if not frappe.db.exists(doctype, name):
			frappe.throw(_("{0} {1} does not exist").format(_(doctype), name), frappe.DoesNotExistError)
		open_request = frappe.db.get_value(
			"Sign Request",
			{
				"reference_doctype": doctype,
				"reference_name": name,
				"template": template,
				"status": ("in", OPEN_STATUSES),
			},
		)
		if open_request:
			frappe.throw(_("Sign Request {0} for this document is still open").format(open_request))
		request = create_sign_request(frappe.get_doc(doctype, name), template, channel=channel)
	except Exception as e:
		frappe.db.rollback()
		frappe.local.message_log = frappe.local.message_log[:messages]
		if not isinstance(e, frappe.ValidationError):
			frappe.log_error(title=_("Bulk send of {0} {1} failed").format(doctype, name))
		reason = strip_html(str(e)).strip() or _("Unexpected error: {0}").format(type(e).__name__)
		return {"status": REFUSED, "reason": reason[:500]}
	return {"status": SENT, "request": request.name}


def _record_result(batch: str, name: str, result: dict) -> None:
	key = _results_key(batch)
	frappe.cache.hset(key, name, json.dumps(result))
	frappe.cache.expire(frappe.cache.make_key(key), KEEP_SECONDS)


def bulk_send_status(batch: str) -> dict:
	"""Progress and, per record done so far, Sent with its request or Refused with the reason."""
	raw = frappe.cache.get_value(_meta_key(batch))
	meta = json.loads(raw) if raw else None
	if not meta or meta["user"] != frappe.session.user:
		frappe.throw(_("This bulk send was not found"), frappe.DoesNotExistError)
	done = {  # Frappe v15 returns the field names as bytes
		key.decode() if isinstance(key, bytes) else key: value
		for key, value in (frappe.cache.hgetall(_results_key(batch)) or {}).items()
	}
	results = []
	for name in meta["names"]:
		if name in done:
			results.append({"name": name, **json.loads(done[name])})
	return {
		"doctype": meta["doctype"],
		"template": meta["template"],
		"template_name": meta["template_name"],
		"total": len(meta["names"]),
		"done": len(results),
		"sent": sum(1 for r in results if r["status"] == SENT),
		"refused": sum(1 for r in results if r["status"] == REFUSED),
		"results": results,
	}
