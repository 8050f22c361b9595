"""Who takes part in a request: the template's roles and a person for each.

A role has a label unique in its template ("Client", "Client 2", "Witness", "Company 2"), a side
(Company and Counterparty sign; CC receives the link to read and the sealed copy) and an order number:
signers with the same number sign in parallel, a higher number waits. A template without roles has
the two classic ones, ordered by its signing order.

People are proposed from the record — the first counterparty is the record's contact, further ones
the other contacts of the same customer or lead, the first company role its user or the record's
owner (the deal owner) — and the sender may change every one of them before sending.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import frappe
from frappe import _

from crm_sign.signing.recipients import Recipient, find_recipient, require_contact
from crm_sign.signing.settings import contact_fields
from crm_sign.signing.signer_fields import plain_text

COMPANY, COUNTERPARTY, CC = "Company", "Counterparty", "CC"
SIDES = (COMPANY, COUNTERPARTY, CC)
DEFAULT_STEPS = {  # signing order -> (company step, counterparty step)
	"Company first": (1, 2),
	"Counterparty first": (2, 1),
	"Parallel": (1, 1),
}


@dataclass
class Role:
	label: str
	side: str
	step: int
	user: str = ""


@dataclass
class Signer:
	label: str
	side: str
	step: int
	name: str = ""
	email: str = ""
	mobile: str = ""
	user: str = ""

	def as_dict(self) -> dict:
		return asdict(self)


def template_roles(template, signing_order: str) -> list[Role]:
	"""The template's roles with their labels and order numbers (defaults filled in)."""
	company_step, counterparty_step = DEFAULT_STEPS.get(signing_order, (1, 2))
	rows = [
		(row.signer_role, row.get("label"), row.get("signing_step"), row.get("user"))
		for row in template.roles
	]
	if not rows:
		rows = [(COMPANY, None, None, None), (COUNTERPARTY, None, None, None)]
	roles: list[Role] = []
	seen: set[str] = set()
	for side, label, step, user in rows:
		side = side if side in SIDES else COUNTERPARTY
		label = (label or "").strip() or _next_label(side, seen)
		seen.add(label)
		step = 0 if side == CC else int(step or 0) or (company_step if side == COMPANY else counterparty_step)
		roles.append(Role(label, side, step, user or ""))
	return roles


def _next_label(side: str, seen: set[str]) -> str:
	label, n = side, 1
	while label in seen:
		n += 1
		label = f"{side} {n}"
	return label


def proposed_signers(
	template,
	doc,
	signing_order: str,
	*,
	recipient: Recipient | None = None,
	company_signer: str | None = None,
) -> list[Signer]:
	"""A person for every role, from the record; empty where the record has nobody to offer."""
	recipient = recipient or find_recipient(doc)
	others = iter(other_contacts(doc, exclude={recipient.email} - {""}))
	owner = _record_owner(doc)
	signers, used_users = [], set()
	first_company, first_counterparty = True, True
	for role in template_roles(template, signing_order):
		signer = Signer(role.label, role.side, role.step)
		if role.side == COMPANY:
			user = role.user
			if not user and first_company:
				user = company_signer or default_company_signer(template, doc)
			elif not user:
				user = next((u for u in (owner, frappe.session.user) if u and u not in used_users), "")
			first_company = False
			if user:
				used_users.add(user)
				signer.user = user
				signer.name, signer.email = _user_name_and_email(user)
		elif role.side == COUNTERPARTY:
			person = recipient if first_counterparty else next(others, None)
			first_counterparty = False
			if person:
				signer.name, signer.email, signer.mobile = person.name, person.email, person.mobile
		signers.append(signer)
	return signers


def chosen_signers(proposed: list[Signer], choices: list[dict] | None) -> list[Signer]:
	"""The proposals with the sender's changes (by role label); other keys are ignored."""
	by_label = {
		str(choice.get("label") or ""): choice for choice in choices or [] if isinstance(choice, dict)
	}
	for signer in proposed:
		choice = by_label.get(signer.label)
		if choice is None:
			continue
		if signer.side == COMPANY:
			user = (choice.get("user") or "").strip()
			if user != signer.user:
				signer.user = user
				signer.name, signer.email = _user_name_and_email(user) if user else ("", "")
			continue
		signer.name = plain_text(choice.get("name"), 140)
		signer.email = (choice.get("email") or "").strip()
		signer.mobile = plain_text(choice.get("mobile"), 30)
	return proposed


def check_signers(doc, signers: list[Signer], channel: str) -> list[Signer]:
	"""Refuse, with a clear message, a role nobody can be reached for; leave out CC roles nobody
	was chosen for. Returns the signers to add."""
	kept = []
	first_counterparty = True
	for signer in signers:
		if signer.side == COMPANY:
			_check_company_user(doc, signer)
		elif signer.side == COUNTERPARTY and first_counterparty:
			# the record's own contact: the message names the record's field to fill
			require_contact(doc, Recipient(signer.name, signer.email, signer.mobile), channel)
			first_counterparty = False
		else:
			if signer.side == CC and not (signer.email or signer.mobile):
				continue
			_check_person(signer, channel)
		if signer.email and not frappe.utils.validate_email_address(signer.email):
			frappe.throw(_("{0}: {1} is not a valid e-mail address").format(signer.label, signer.email))
		signer.name = plain_text(signer.name or signer.email or signer.mobile, 140)
		kept.append(signer)
	return kept


def _check_company_user(doc, signer: Signer) -> None:
	user = signer.user
	if not user or user == "Guest" or not frappe.db.get_value("User", user, "enabled"):
		frappe.throw(_("The company signer {0} is not an active user").format(user or signer.label))
	if not frappe.has_permission(doc.doctype, "read", doc, user=user):
		frappe.throw(_("{0} may not read {1} {2}, so cannot sign it").format(user, _(doc.doctype), doc.name))


def _check_person(signer: Signer, channel: str) -> None:
	if not (signer.email or signer.mobile):
		frappe.throw(_("Choose a person for the role {0}").format(signer.label), title=_("Signer missing"))
	if "Email" in channel and not signer.email:
		frappe.throw(
			_("{0} ({1}) has no e-mail address").format(signer.name or signer.mobile, signer.label),
			title=_("E-mail missing"),
		)
	if "SMS" in channel and not signer.mobile:
		frappe.throw(
			_("{0} ({1}) has no mobile number").format(signer.name or signer.email, signer.label),
			title=_("Mobile number missing"),
		)


def other_contacts(doc, exclude: set[str] | None = None) -> list[Recipient]:
	"""Contacts the user may read, linked to the record or to its party (the Opportunity's customer or
	lead), with an e-mail address or a mobile number, the record's own contact person first."""
	links = {(doc.doctype, doc.name)}
	party_type = doc.get("opportunity_from") or doc.get("quotation_to")
	if party_type and doc.get("party_name"):
		links.add((party_type, doc.party_name))
	if doc.get("customer"):
		links.add(("Customer", doc.customer))
	names = []
	if doc.get("contact_person"):
		names.append(doc.contact_person)
	for link_doctype, link_name in links:
		names += frappe.get_all(
			"Dynamic Link",
			filters={
				"parenttype": "Contact",
				"link_doctype": link_doctype,
				"link_name": link_name,
			},
			pluck="parent",
			order_by="creation asc",
		)
	exclude = {e.lower() for e in exclude or set()}
	found, seen = [], set()
	for name in dict.fromkeys(names):
		if not frappe.has_permission("Contact", "read", name):
			continue  # proposals never show a contact the sender may not read
		values = frappe.db.get_value("Contact", name, ["full_name", "email_id", "mobile_no"], as_dict=True)
		if not values or not (values.email_id or values.mobile_no):
			continue
		key = (values.email_id or values.mobile_no).lower()
		if key in exclude or key in seen:
			continue
		seen.add(key)
		found.append(Recipient(values.full_name or "", values.email_id or "", values.mobile_no or ""))
	return found


def default_company_signer(template, doc) -> str:
	"""The template's user, else the record's owner field (e.g. the deal owner), else the sender."""
	field = template.company_signer_field or contact_fields(doc.doctype).company_signer_field
	return template.company_signer or (doc.get(field) if field else None) or frappe.session.user


def _record_owner(doc) -> str:
	field = contact_fields(doc.doctype).company_signer_field
	user = doc.get(field) if field else None
	return user if user and frappe.db.get_value("User", user, "enabled") else ""


def _user_name_and_email(user: str) -> tuple[str, str]:
	values = frappe.db.get_value("User", user, ["full_name", "email"], as_dict=True) or {}
	return values.get("full_name") or user, values.get("email") or user


def fields_of(request, row) -> list:
	"""The value rows `row` fills: the fields of its side given to its role, and the side's fields
	given to no role when it is the side's first signer. CC fills nothing."""
	if row.signer_role not in (COMPANY, COUNTERPARTY):
		return []
	label = row.get("role_label") or row.signer_role
	first = next(
		(r.get("role_label") or r.signer_role for r in request.signers if r.signer_role == row.signer_role),
		label,
	)
	return [
		f
		for f in request.field_values
		if f.filled_by == row.signer_role and (f.get("signer_label") or first) == label
	]
