# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class SignAuditEvent(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		actor: DF.Data | None
		data: DF.Code | None
		document_sha256: DF.Data | None
		event: DF.Data | None
		event_at: DF.Data | None
		hash: DF.Data | None
		ip_address: DF.Data | None
		prev_hash: DF.Data | None
		seq: DF.Int
		sign_request: DF.Link
		user_agent: DF.Code | None
	# end: auto-generated types

	# One entry of a Sign Request's hash-chained audit log. Append-only: the signing services insert
	# events with ignore_permissions; nobody edits or deletes them.

	def validate(self):
		if not self.is_new():
			frappe.throw(_("Audit events cannot be edited"), frappe.PermissionError, title=_("Not Permitted"))

	def on_trash(self):
		frappe.throw(_("Audit events cannot be deleted"), frappe.PermissionError, title=_("Not Permitted"))


def on_doctype_update():
	# One entry per position in a chain, whatever concurrent requests try (see audit_log.log_event).
	frappe.db.add_unique(
		"Sign Audit Event", ["sign_request", "seq"], constraint_name="unique_sign_request_seq"
	)
