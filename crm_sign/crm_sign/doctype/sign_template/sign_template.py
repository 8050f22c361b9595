# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

# Boxes may touch the page edge; allow for float rounding from the designer.
PAGE_TOLERANCE = 1.0001


class SignTemplate(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_sign.crm_sign.doctype.sign_template_field.sign_template_field import SignTemplateField
		from crm_sign.crm_sign.doctype.sign_template_role.sign_template_role import SignTemplateRole

		channel: DF.Literal["", "Email", "SMS", "Email and SMS"]
		company_signer: DF.Link | None
		company_signer_field: DF.Data | None
		document_kind: DF.Literal["Contract", "Quotation", "Invoice", "Other"]
		email_body: DF.TextEditor | None
		email_subject: DF.Data | None
		enabled: DF.Check
		fields: DF.Table[SignTemplateField]
		language: DF.Link | None
		last_used_on: DF.Datetime | None
		link_lifetime_days: DF.Int
		max_reminders: DF.Int
		otp_method: DF.Literal["", "None", "SMS", "Email"]
		pdf_file: DF.Attach | None
		print_format: DF.Link | None
		public_link: DF.Check
		public_sender: DF.Link | None
		public_slug: DF.Data | None
		reference_doctype: DF.Link
		reminder_interval_days: DF.Int
		roles: DF.Table[SignTemplateRole]
		signing_order: DF.Literal["", "Company first", "Counterparty first", "Parallel"]
		sms_text: DF.SmallText | None
		source_type: DF.Literal["Print Format", "Uploaded PDF"]
		template_name: DF.Data
		use_count: DF.Int
	# end: auto-generated types

	def validate(self):
		self.validate_reference_doctype()
		self.validate_source()
		self.validate_roles()
		self.validate_fields()
		self.validate_public_link()

	def on_update(self):
		if self.source_type == "Uploaded PDF" and self.pdf_file:
			from crm_sign.signing.files import attach_template_pdf

			# Documents are read from the File attached here, never from the URL (signing/files.py).
			attach_template_pdf(self)

	def validate_reference_doctype(self):
		if not self.reference_doctype:
			return
		doctype = frappe.db.get_value(
			"DocType", self.reference_doctype, ["istable", "issingle"], as_dict=True
		)
		if doctype and (doctype.istable or doctype.issingle):
			frappe.throw(
				_("{0} cannot be signed: child tables and single DocTypes are not supported").format(
					frappe.bold(_(self.reference_doctype))
				)
			)

	def validate_source(self):
		if self.source_type == "Print Format" and not self.print_format:
			frappe.throw(_("Select the Print Format that renders the document"))
		if self.source_type == "Uploaded PDF" and not self.pdf_file:
			frappe.throw(_("Attach the PDF file to be signed"))
		if self.pdf_file and self.has_value_changed("pdf_file"):
			from crm_sign.signing.documents import check_pdf
			from crm_sign.signing.files import check_file_readable

			# Refused now, with the reason, rather than when the first request is made from it.
			check_pdf(frappe.get_doc("File", check_file_readable(self.pdf_file)).get_content())

	def validate_roles(self):
		"""Labels unique (fields name their signer by it); a field's signer must be a signing role of
		the field's side."""
		from crm_sign.signing.signers import CC, template_roles

		labels = [(row.label or "").strip() for row in self.roles if (row.label or "").strip()]
		duplicate = next((label for label in labels if labels.count(label) > 1), None)
		if duplicate:
			frappe.throw(
				_("Two roles are called {0}: give each role its own label").format(frappe.bold(duplicate))
			)
		for row in self.roles:
			if (
				row.signer_role == "Company"
				and row.user
				and not frappe.db.get_value("User", row.user, "enabled")
			):
				frappe.throw(_("Role {0}: {1} is not an active user").format(row.idx, row.user))
		sides = {
			role.label: role.side for role in template_roles(self, self.signing_order or "Company first")
		}
		for row in self.fields:
			label = (row.get("signer_label") or "").strip()
			if not label or row.filled_by == "Prefilled":
				continue
			if sides.get(label) in (None, CC) or sides[label] != row.filled_by:
				frappe.throw(
					_("Row {0}: {1} is not a {2} role of this template").format(
						row.idx, frappe.bold(label), _(row.filled_by)
					)
				)

	def validate_public_link(self):
		"""A public link makes Leads, in the sender's name, for visitors who sign first."""
		if not self.public_link:
			return
		if self.reference_doctype != "Lead":
			frappe.throw(_("A public signing link creates a Lead: the template must be for Lead"))
		sender = self.public_sender
		if not sender or not frappe.db.get_value("User", sender, "enabled"):
			frappe.throw(_("Choose an active user as the Public Link Sender"))
		for doctype, ptype in (("Lead", "create"), ("Lead", "read"), ("Sign Request", "create")):
			if not frappe.has_permission(doctype, ptype, user=sender):
				frappe.throw(
					_("The Public Link Sender {0} may not {1} {2}").format(sender, _(ptype), _(doctype))
				)
		from crm_sign.signing.settings import get_settings

		roles = {row.signer_role for row in self.roles} or {"Company", "Counterparty"}
		order = self.signing_order or get_settings().signing_order or "Company first"
		if "Counterparty" not in roles or ("Company" in roles and order == "Company first"):
			frappe.throw(
				_("A public link needs the visitor to sign first: choose Counterparty first or Parallel")
			)
		if not self.public_slug:
			import secrets

			self.public_slug = secrets.token_hex(8)

	def validate_fields(self):
		for row in self.fields:
			self.validate_field_row(row)

	def validate_field_row(self, row):
		if cint(row.page) < 1:
			frappe.throw(_("Row {0}: Page must be 1 or more").format(row.idx))

		x, y, width, height = (flt(row.pos_x), flt(row.pos_y), flt(row.width), flt(row.height))
		if any((x, y, width, height)):
			if width <= 0 or height <= 0:
				frappe.throw(_("Row {0}: Width and Height must be greater than 0").format(row.idx))
			if x < 0 or y < 0 or x + width > PAGE_TOLERANCE or y + height > PAGE_TOLERANCE:
				frappe.throw(
					_("Row {0}: The box must lie inside the page (X, Y, Width and Height are 0 to 1)").format(
						row.idx
					)
				)
		elif not (row.anchor or "").strip():
			frappe.throw(
				_("Row {0}: Place {1} on the page with the Designer or give it an Anchor").format(
					row.idx, frappe.bold(row.field_label)
				)
			)

		if flt(row.font_size) <= 0:
			frappe.throw(_("Row {0}: Font Size must be greater than 0").format(row.idx))

		if row.filled_by == "Prefilled" and not (row.source or "").strip():
			frappe.throw(
				_("Row {0}: Prefilled field {1} needs a Source").format(row.idx, frappe.bold(row.field_label))
			)
