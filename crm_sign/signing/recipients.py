"""Who receives a signing request: the counterparty's name, e-mail and mobile, found on the record."""

from __future__ import annotations

from dataclasses import dataclass

import frappe
from frappe import _

from crm_sign.signing.settings import contact_fields


@dataclass
class Recipient:
	name: str = ""
	email: str = ""
	mobile: str = ""


def find_recipient(doc) -> Recipient:
	"""Read the contact details configured for the doctype; Opportunity and Quotation fall back to their
	contact person, then to their party (Lead or Customer), because the desk only fills contact_email
	client-side."""
	fields = contact_fields(doc.doctype)
	recipient = Recipient(
		name=_get(doc, fields.name_field),
		email=_get(doc, fields.email_field),
		mobile=_get(doc, fields.mobile_field),
	)
	if doc.doctype == "Lead" and not recipient.mobile:
		recipient.mobile = doc.get("phone") or doc.get("whatsapp_no") or ""
	if recipient.email and recipient.mobile:
		return recipient
	contact = doc.get("contact_person")
	if contact:
		_fill_from(recipient, "Contact", contact, "email_id", "mobile_no", "full_name")
	party_type = doc.get("opportunity_from") or doc.get("quotation_to")
	party = doc.get("party_name")
	if party_type in ("Lead", "Customer") and party:
		name_field = "lead_name" if party_type == "Lead" else "customer_name"
		_fill_from(recipient, party_type, party, "email_id", "mobile_no", name_field)
	return recipient


def _fill_from(recipient: Recipient, doctype: str, name: str, email: str, mobile: str, title: str) -> None:
	values = frappe.db.get_value(doctype, name, [email, mobile, title], as_dict=True)
	if not values:
		return
	recipient.email = recipient.email or values.get(email) or ""
	recipient.mobile = recipient.mobile or values.get(mobile) or ""
	recipient.name = recipient.name or values.get(title) or ""


def _get(doc, fieldname: str) -> str:
	return (doc.get(fieldname) or "").strip() if fieldname else ""


def require_contact(doc, recipient: Recipient, channel: str) -> None:
	"""A clear message naming the field to fill when the chosen channel has no address."""
	fields = contact_fields(doc.doctype)
	meta = frappe.get_meta(doc.doctype)
	if "Email" in channel and not recipient.email:
		frappe.throw(
			_("{0} {1} has no e-mail address. Fill in {2} or send by SMS.").format(
				_(doc.doctype), doc.name, _label(meta, fields.email_field)
			),
			title=_("E-mail missing"),
		)
	if "SMS" in channel and not recipient.mobile:
		frappe.throw(
			_("{0} {1} has no mobile number. Fill in {2} or send by e-mail.").format(
				_(doc.doctype), doc.name, _label(meta, fields.mobile_field)
			),
			title=_("Mobile number missing"),
		)


def _label(meta, fieldname: str) -> str:
	field = meta.get_field(fieldname) if fieldname else None
	return _(field.label) if field and field.label else fieldname or _("a contact field")
