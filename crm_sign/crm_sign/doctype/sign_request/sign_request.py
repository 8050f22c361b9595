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

		from crm_sign.crm_sign.doctype.sign_request_signer.sign_request_signer import SignRequestSigner
		from crm_sign.crm_sign.doctype.sign_request_value.sign_request_value import SignRequestValue

		channel: DF.Literal["Email", "SMS", "Email and SMS"]
		completed_on: DF.Datetime | None
		declined_reason: DF.SmallText | None
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
	# end: auto-generated types

	def validate(self):
		self.validate_reference_unchanged()
		self.validate_status_unchanged()
		self.set_title()

	def set_title(self):
		if not self.title:
			self.title = f"{self.template or self.reference_doctype}: {self.reference_name}"

	def validate_reference_unchanged(self):
		if self.is_new():
			return
		before = self.get_doc_before_save()
		if not before:
			return
		for fieldname in ("reference_doctype", "reference_name"):
			if before.get(fieldname) != self.get(fieldname):
				frappe.throw(
					_("{0} cannot be changed after the Sign Request is created").format(
						_(self.meta.get_label(fieldname))
					),
					title=_("Not Allowed"),
				)

	def validate_status_unchanged(self):
		"""Only the signing flow moves a request (it writes with db_set); a Kanban drag or an edit
		through the desk or REST would otherwise fake a signature state."""
		if self.is_new():
			return
		before = self.get_doc_before_save()
		if before and before.status != self.status:
			frappe.throw(
				_("The status of a Sign Request changes only when its signers act"), title=_("Not Allowed")
			)
