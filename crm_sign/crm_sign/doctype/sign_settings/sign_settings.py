# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model import default_fields
from frappe.model.document import Document

from crm_sign.signing.seal_certificate import check_uploaded_certificate
from crm_sign.signing.settings import is_allowed_timestamp_url, is_https_url, timestamp_servers

# Fields of an enabled DocType row that must name a field of that DocType.
FIELD_COLUMNS = ("email_field", "mobile_field", "name_field", "company_signer_field")


class SignSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_sign.crm_sign.doctype.sign_constant.sign_constant import SignConstant
		from crm_sign.crm_sign.doctype.sign_enabled_doctype.sign_enabled_doctype import SignEnabledDocType

		allowed_timestamp_servers: DF.SmallText | None
		consent_text: DF.SmallText | None
		constants: DF.Table[SignConstant]
		default_channel: DF.Literal["Email", "SMS", "Email and SMS"]
		enabled_doctypes: DF.Table[SignEnabledDocType]
		link_lifetime_days: DF.Int
		max_reminders: DF.Int
		otp_method: DF.Literal["None", "SMS", "Email"]
		reminder_interval_days: DF.Int
		seal_certificate: DF.Attach | None
		seal_certificate_password: DF.Password | None
		seal_fingerprint: DF.Data | None
		seal_subject: DF.Data | None
		signing_order: DF.Literal["Company first", "Counterparty first", "Parallel"]
		sms_provider: DF.Literal["Twilio", "Frappe SMS Settings"]
		timestamp_url: DF.Data | None
		twilio_account_sid: DF.Data | None
		twilio_auth_token: DF.Password | None
		twilio_from_number: DF.Data | None
		twilio_messaging_service_sid: DF.Data | None
	# end: auto-generated types

	def validate(self):
		self.validate_enabled_doctypes()
		self.validate_timestamp_url()
		check_uploaded_certificate(self)

	def on_update(self):
		frappe.clear_cache()  # the Sign button list lives in boot info

	def validate_enabled_doctypes(self):
		seen = set()
		for row in self.enabled_doctypes:
			if row.document_type in seen:
				frappe.throw(
					_("Row {0}: DocType {1} is listed more than once").format(
						row.idx, frappe.bold(row.document_type)
					),
					title=_("Duplicate DocType"),
				)
			seen.add(row.document_type)
			self.validate_row_fields(row)

	def validate_timestamp_url(self):
		"""The sealing job calls the Timestamp URL: only an https server a System Manager allowed.
		(Frappe has already reset the list to its saved value for anyone without level 1 access.)"""
		for number, server in enumerate(timestamp_servers(self.allowed_timestamp_servers), start=1):
			if not is_https_url(server):
				frappe.throw(
					_("Line {0} of the Allowed Timestamp Servers is not an https URL: {1}").format(
						number, frappe.bold(server)
					),
					title=_("Invalid Timestamp Server"),
				)
		self.timestamp_url = (self.timestamp_url or "").strip()
		if not self.timestamp_url:
			return
		if not is_https_url(self.timestamp_url):
			frappe.throw(
				_("The Timestamp URL must be an https URL: {0}").format(frappe.bold(self.timestamp_url)),
				title=_("Invalid Timestamp URL"),
			)
		if not is_allowed_timestamp_url(self.timestamp_url, self.allowed_timestamp_servers):
			frappe.throw(
				_(
					"The Timestamp URL {0} is not one of the Allowed Timestamp Servers; a System Manager can add it."
				).format(frappe.bold(self.timestamp_url)),
				title=_("Timestamp Server Not Allowed"),
			)

	def validate_row_fields(self, row):
		if not row.document_type or not frappe.db.exists("DocType", row.document_type):
			return  # the Link validation reports it
		meta = frappe.get_meta(row.document_type)
		for column in FIELD_COLUMNS:
			fieldname = (row.get(column) or "").strip()
			row.set(column, fieldname)
			if not fieldname or fieldname in default_fields or meta.has_field(fieldname):
				continue
			frappe.throw(
				_("Row {0}: {1} has no field {2} (set in {3})").format(
					row.idx,
					frappe.bold(_(row.document_type)),
					frappe.bold(fieldname),
					_(row.meta.get_label(column)),
				),
				title=_("Invalid Field"),
			)
