"""Signer events for automation.

`publish(request, event, signer)` is the one place that announces what happened to a Sign Request.
Events: "viewed", "signed" (by any signer; `signer.signer_role` tells company from counterparty),
"declined", "completed", "expired", "cancelled".

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
