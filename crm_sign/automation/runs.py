"""Sign Automation Run records: one per rule per stage entry, per trigger per signer event.

A run's `run_key` is unique, so a job that is retried or queued twice does the work once. Each action
runs behind a savepoint: when it fails, its writes are undone, the run shows Failed with the error,
and the error log has the traceback; the signature or the save that caused it is never undone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import frappe
from frappe import _

from crm_sign.signing.transactions import rollback_to

if TYPE_CHECKING:
	from frappe.model.document import Document

RUN = "Sign Automation Run"


def run_key(*parts: object) -> str:
	return hashlib.sha256("\x1f".join(str(part or "") for part in parts).encode()).hexdigest()


def start_run(key: str, **values) -> Document | None:
	"""Insert a Running run, or None when a run with this key exists (the work was done already)."""
	if frappe.db.exists(RUN, {"run_key": key}):
		return None
	run = frappe.get_doc({"doctype": RUN, "run_key": key, "status": "Running", **values})
	try:
		run.insert(ignore_permissions=True)
	except (frappe.DuplicateEntryError, frappe.UniqueValidationError):
		return None  # a concurrent job holds this key
	return run


def finish_run(run, status: str, detail: str = "", **values) -> None:
	run.db_set({"status": status, "detail": (detail or "")[:1000], **values}, update_modified=True)


def execute(run, action: Callable[[], tuple[str, str]], *, title: str) -> bool:
	"""Run `action` behind a savepoint; record Done/Skipped or Failed. True when it did not fail."""
	savepoint = "crm_sign_" + frappe.generate_hash(length=10)
	messages = len(frappe.local.message_log)
	frappe.db.savepoint(savepoint)
	try:
		status, detail = action()
	except Exception as e:
		rollback_to(savepoint)
		frappe.local.message_log = frappe.local.message_log[:messages]  # not shown to whoever signed
		fail_run(run, e, title=title)
		return False
	finish_run(run, status, detail)
	return True


def fail_run(run, error: Exception, *, title: str) -> None:
	message = str(error) or type(error).__name__
	finish_run(run, "Failed", _("Failed: {0}").format(message), error=frappe.get_traceback()[-5000:])
	frappe.log_error(
		title=title[:140], reference_doctype=run.reference_doctype, reference_name=run.reference_name
	)


@contextmanager
def as_user(user: str | None) -> Iterator[None]:
	"""Act as `user` (workflows, permissions and SMS need a real user) and restore the caller after."""
	previous = frappe.session.user
	switch = bool(user) and user != previous
	if switch:
		frappe.set_user(user)
	try:
		yield
	finally:
		if switch:
			frappe.set_user(previous)


def can_send(user: str | None, doc) -> bool:
	"""May `user` send a signature request for `doc`: an enabled user who reads the record and may
	create Sign Requests."""
	if not user or user == "Guest" or not frappe.db.get_value("User", user, "enabled"):
		return False
	return bool(
		frappe.has_permission(doc.doctype, "read", doc, user=user)
		and frappe.has_permission("Sign Request", "create", user=user)
	)


def pick_sender(doc, *candidates: str | None) -> str | None:
	"""The first candidate allowed to send for `doc` (the user who saved, then the rule's owner)."""
	return next((user for user in candidates if can_send(user, doc)), None)
