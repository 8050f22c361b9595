"""Signer events for automation.

`publish(request, event, signer)` is the one place that announces what happened to a Sign Request.
Events: "viewed", "signed" (by any signer; `signer.signer_role` tells company from counterparty),
"declined", "completed", "expired", "cancelled".

Every status change is also a document event "on_change" of the Sign Request (`document_event`), so
Frappe's own Webhooks, Notifications and Server Scripts on Sign Request work as for any doctype.

Other apps subscribe with the hook `crm_sign_event` in their hooks.py:
    crm_sign_event = ["my_app.handlers.on_sign_event"]
Each handler is called as `handler(request, event, signer)` where `signer` is the Sign Request Signer
row or None. A failing handler is logged and never undoes the signature.
"""

from __future__ import annotations

import frappe

EVENTS = ("viewed", "signed", "declined", "completed", "expired", "cancelled")


def publish(request, event: str, signer=None) -> None:
	if event not in EVENTS:
		raise ValueError(f"Unknown sign event {event!r}")
	for method in frappe.get_hooks("crm_sign_event"):
		try:
			frappe.get_attr(method)(request, event, signer)
		except Exception:
			frappe.log_error(
				title=f"crm_sign_event handler {method} failed on {event}",
				reference_doctype="Sign Request",
				reference_name=request.name,
			)
	document_event(request)


def document_event(request) -> None:
	"""Run the Sign Request's "on_change" document event after a status change.

	The signing services write with db_set (a sent request is never saved again), which runs no
	document event; without this, a Webhook or Notification on Sign Request would never fire. Frappe
	sends a webhook once per request and transaction, with the request as it is at commit.
	"""
	try:
		request.run_method("on_change")
	except Exception:  # a subscriber's failure never undoes a signature
		frappe.log_error(
			title=f"Sign Request {request.name}: on_change subscribers failed",
			reference_doctype="Sign Request",
			reference_name=request.name,
		)
