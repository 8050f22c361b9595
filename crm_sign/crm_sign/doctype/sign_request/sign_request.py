# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

OPEN_STATUSES = ("Sent", "Viewed", "Partially Signed")
FINAL_STATUSES = ("Completed", "Declined", "Expired", "Cancelled")


class SignRequest(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_sign.crm_sign.doctype.sign_request_document.sign_request_document import (
			SignRequestDocument,
		)
		from crm_sign.crm_sign.doctype.sign_request_signer.sign_request_signer import SignRequestSigner
		from crm_sign.crm_sign.doctype.sign_request_value.sign_request_value import SignRequestValue

		audit_anchor_hash: DF.Data | None
		channel: DF.Literal["Email", "SMS", "Email and SMS"]
		completed_on: DF.Datetime | None
		declined_reason: DF.SmallText | None
		documents: DF.Table[SignRequestDocument]
		expires_on: DF.Datetime | None
		field_values: DF.Table[SignRequestValue]
		final_sha256: DF.Data | None
		finalize_attempts: DF.Int
		language: DF.Link | None
		last_error: DF.SmallText | None
		original_sha256: DF.Data | None
		otp_method: DF.Literal["None", "SMS", "Email"]
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
		reminders_sent: DF.Int
		sent_on: DF.Datetime | None
		signed_pdf: DF.Attach | None
		signed_sha256: DF.Data | None
		signers: DF.Table[SignRequestSigner]
		signing_order: DF.Literal["Company first", "Counterparty first", "Parallel"]
		status: DF.Literal[
			"Draft", "Sent", "Viewed", "Partially Signed", "Completed", "Declined", "Expired", "Cancelled"
		]
		template: DF.Link | None
		title: DF.Data | None
		unsigned_pdf: DF.Attach | None
		waiting_for_company: DF.Check
		waiting_for_customer: DF.Check
	# end: auto-generated types

	def validate(self):
		self.validate_unchanged_after_send()
		self.validate_reference_unchanged()
		self.set_title()

	def after_insert(self):
		from crm_sign.signing.permissions import clear_request_doctypes_cache, request_reference_doctypes

		if self.reference_doctype not in request_reference_doctypes():
			clear_request_doctypes_cache()

	def on_trash(self):
		if self.status != "Draft":
			frappe.throw(
				_("A Sign Request that was sent is evidence and cannot be deleted. Cancel it instead."),
				frappe.PermissionError,
				title=_("Not Allowed"),
			)

	def set_title(self):
		if not self.title:
			self.title = f"{self.template or self.reference_doctype}: {self.reference_name}"

	def validate_unchanged_after_send(self):
		"""Once sent, a request is evidence: nothing of it or its rows changes through the desk, REST or
		a Kanban drag. The signing services write with db_set, which never comes through here."""
		if self.is_new():
			return
		before = self.get_doc_before_save()
		if before is None:
			before_status = frappe.db.get_value(self.doctype, self.name, "status")
		else:
			before_status = before.status
		if before_status and before_status != "Draft":
			frappe.throw(
				_("A Sign Request cannot be changed after it was sent. Cancel it and send a new one."),
				frappe.PermissionError,
				title=_("Not Allowed"),
			)

	def validate_reference_unchanged(self):
		if self.is_new():
			return
		before = self.get_doc_before_save()
		if not before:
			return
		for fieldname in ("reference_doctype", "reference_name", "status"):
			if before.get(fieldname) != self.get(fieldname):
				frappe.throw(
					_("{0} cannot be changed after the Sign Request is created").format(
						_(self.meta.get_label(fieldname))
					),
					title=_("Not Allowed"),
				)
