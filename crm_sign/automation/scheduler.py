"""Hourly: remind signers who have not signed, expire requests past their expiry date."""

from __future__ import annotations

import datetime as dt

import frappe
from frappe.utils import add_days, cint, get_datetime, now_datetime

from crm_sign.crm_sign.doctype.sign_request.sign_request import OPEN_STATUSES
from crm_sign.signing.requests import set_row
from crm_sign.signing.settings import get_settings
from crm_sign.signing.transactions import rollback_to

AWAITING = ("Pending", "Viewed")  # signers whose turn it is


def expire_requests() -> None:
	"""Open requests past `expires_on` become Expired; the "expired" event runs the triggers."""
	from crm_sign.signing.requests import expire_request

	names = frappe.get_all(
		"Sign Request",
		filters={"status": ("in", OPEN_STATUSES), "expires_on": ("<", now_datetime())},
		pluck="name",
	)
	for name in names:
		_each(name, lambda request: expire_request(request), "expiring")


def send_reminders() -> None:
	"""Re-invite each awaited signer every N days, at most M times (template, else Sign Settings)."""
	rows = frappe.get_all(
		"Sign Request Signer",
		filters={
			"parenttype": "Sign Request",
			"status": ("in", AWAITING),
			"signer_role": ("in", ("Company", "Counterparty")),
		},
		fields=["parent"],
		distinct=True,
	)
	now = now_datetime()
	for parent in {row.parent for row in rows}:
		_each(parent, lambda request: remind_request(request, now), "reminding")


def remind_request(request, now: dt.datetime | None = None) -> list:
	"""Remind the awaited signers of `request` that are due; returns the reminded rows."""
	now = now or now_datetime()
	if request.status not in OPEN_STATUSES or (
		request.expires_on and get_datetime(request.expires_on) <= now
	):
		return []
	interval, limit = reminder_policy(request.template)
	if interval <= 0 or limit <= 0:
		return []
	due = [
		row for row in request.signers if row.status in AWAITING and _due(request, row, interval, limit, now)
	]
	for row in due:
		remind(request, row)
	return due


def reminder_policy(template: str | None) -> tuple[int, int]:
	"""(interval days, max reminders): the template's when set, else Sign Settings'."""
	settings = get_settings()
	values = (
		frappe.db.get_value(
			"Sign Template", template, ["reminder_interval_days", "max_reminders"], as_dict=True
		)
		if template
		else None
	) or frappe._dict()
	return (
		cint(values.reminder_interval_days) or cint(settings.reminder_interval_days),
		cint(values.max_reminders) or cint(settings.max_reminders),
	)


def _due(request, row, interval: int, limit: int, now: dt.datetime) -> bool:
	if cint(row.reminders_sent) >= limit:
		return False
	last = row.last_reminder_on or row.sent_on or request.sent_on
	return bool(last) and add_days(get_datetime(last), interval) <= now


def remind(request, row) -> None:
	from crm_sign.signing.audit_log import log_event
	from crm_sign.signing.requests import invite_signer

	invite_signer(request, row, reason="reminder")
	count = cint(row.reminders_sent) + 1
	set_row(row, {"reminders_sent": count, "last_reminder_on": now_datetime()}, update_modified=False)
	request.db_set("reminders_sent", cint(request.reminders_sent) + 1, update_modified=False)
	log_event(
		request,
		"reminded",
		who=row.email or row.mobile or row.signer_name,
		data={"signer": row.name, "role": row.signer_role, "reminder": count},
	)


def _each(request_name: str, action, doing: str) -> None:
	"""One request at a time: a failure is logged and the others go on."""
	savepoint = "crm_sign_" + frappe.generate_hash(length=10)
	frappe.db.savepoint(savepoint)
	try:
		action(frappe.get_doc("Sign Request", request_name))
	except Exception:
		rollback_to(savepoint)
		frappe.log_error(
			title=f"crm_sign: {doing} {request_name} failed",
			reference_doctype="Sign Request",
			reference_name=request_name,
		)
		return
	if not frappe.flags.in_test:
		frappe.db.commit()  # nosemgrep: each request's reminder or expiry stands on its own
