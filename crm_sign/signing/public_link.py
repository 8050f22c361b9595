"""Self-service signing: a Sign Template's public link (/sign/start/<code>) that turns a visitor into a Lead.

The visitor gives a name, an e-mail address and optionally a mobile number, and gets a one-time code
by e-mail. Nothing is written to the CRM before the code is confirmed: the pending start lives in
Redis (the code only as its HMAC), so a bot filling the form leaves no Lead behind. With the code
confirmed, the Lead with that e-mail address is used (or one is created), a Sign Request is made and
sent in the name of the template's Public Link Sender, this browser counts as having confirmed the
request's e-mail code, and the visitor goes straight to the signing page. From there on it is an
ordinary request: triggers, the sealed PDF on the Lead, the audit trail.

Abuse limits without a CAPTCHA: codes per address and per e-mail address, confirmations per address,
Leads per address and day; unknown link codes count as failed link lookups.
"""

from __future__ import annotations

import dataclasses
import json
import re

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime, validate_email_address

from crm_sign.engine import tokens
from crm_sign.engine.errors import OneTimeCodeError
from crm_sign.signing import requests, signer_session
from crm_sign.signing.audit_log import log_event
from crm_sign.signing.client import client_ip, count_hit
from crm_sign.signing.recipients import Recipient
from crm_sign.signing.settings import token_secret
from crm_sign.signing.signer_fields import plain_text

START_SECONDS = 30 * 60  # a pending start lives as long as it takes to read a mail
HOUR, DAY = 3600, 24 * 3600
CODES_PER_ADDRESS = 10  # per hour
CODES_PER_EMAIL = 3  # per hour
CONFIRMS_PER_ADDRESS = 30  # per hour
LEADS_PER_ADDRESS = 5  # per day
MOBILE = re.compile(r"^\+?[0-9 ()./-]{6,24}$")


def public_url(slug: str) -> str:
	return requests.site_url(f"/sign/start/{slug}")


def public_template(slug: str | None):
	"""The enabled template publishing `slug`, or a 404 that says nothing about why."""
	name = None
	if slug and slug.isalnum() and len(slug) <= 40:
		name = frappe.db.get_value("Sign Template", {"public_slug": slug, "public_link": 1, "enabled": 1})
	if not name:
		signer_session.record_failed_lookup(client_ip())
		frappe.throw(_("This signing link is not valid."), frappe.DoesNotExistError)
	return frappe.get_doc("Sign Template", name)


def _start_key(start: str) -> str:
	return f"crm_sign:public_start:{tokens.hash_token(start, token_secret())}"


def request_code(slug: str, full_name: str, email: str, mobile: str | None = None) -> dict:
	"""Check the visitor's details, e-mail them a code, and remember the pending start."""
	ip = client_ip()
	if signer_session.lookups_blocked(ip):
		frappe.throw(_("Too many attempts. Please wait a few minutes and try again."))
	template = public_template(slug)
	full_name = plain_text(full_name, 140)
	email = (email or "").strip().lower()
	mobile = plain_text(mobile, 30)
	if not full_name:
		frappe.throw(_("Please enter your name."))
	if not email or not validate_email_address(email):
		frappe.throw(_("Please enter a valid e-mail address."))
	if mobile and not MOBILE.match(mobile):
		frappe.throw(_("Please enter a valid mobile number, or leave it empty."))
	count_hit("public_code:ip", ip, CODES_PER_ADDRESS, HOUR)
	count_hit("public_code:email", email, CODES_PER_EMAIL, HOUR)

	start = tokens.new_token()
	try:
		code, state = tokens.issue_code(tokens.OneTimeCode(), token_secret(), start, now_datetime())
	except OneTimeCodeError as e:
		frappe.throw(_(e.reason))
	pending = {
		"slug": slug,
		"name": full_name,
		"email": email,
		"mobile": mobile,
		"code": _code_state_json(state),
	}
	frappe.cache.set_value(_start_key(start), json.dumps(pending), expires_in_sec=START_SECONDS)
	_send_code_email(template, email, code)
	from crm_sign.engine.certificate import mask_email

	return {"start": start, "sent_to": mask_email(email)}


def _send_code_email(template, email: str, code: str) -> None:
	from crm_sign.signing.delivery import queue_code_email

	queued, error = queue_code_email(email, template.template_name, code, "Sign Template", template.name)
	if not queued:
		frappe.log_error(title=_("The public link code e-mail could not be queued"), message=error)
		frappe.throw(_("We could not send the code by e-mail. Please try again in a minute."))
	frappe.enqueue(
		"crm_sign.signing.public_link.send_code_email",
		queue="short",
		email_queue=queued.name,
		enqueue_after_commit=True,
	)


def send_code_email(email_queue: str) -> None:
	"""Background job: the code now, not when the Email Queue's scheduler gets to it."""
	from crm_sign.signing.delivery import send_queued_email

	error = send_queued_email(email_queue)
	if error:
		frappe.log_error(title=_("The public link code e-mail could not be sent"), message=error)


def confirm_code(start: str, code: str) -> dict:
	"""Check the code; then the Lead, the request and the way to the signing page."""
	ip = client_ip()
	count_hit("public_confirm:ip", ip, CONFIRMS_PER_ADDRESS, HOUR)
	key = _start_key(start or "")
	raw = frappe.cache.get_value(key, expires=True) if tokens.is_well_formed(start or "") else None
	if not raw:
		frappe.throw(_("This code has expired. Please start again."), title=_("Code expired"))
	# Counted atomically, so parallel guesses cannot outrun the attempts stored with the start.
	count_hit("public_confirm:start", start, tokens.CODE_MAX_ATTEMPTS, START_SECONDS)
	pending = json.loads(raw)
	state = _code_state_from(pending["code"])
	try:
		state = tokens.verify_code(state, code, token_secret(), start, now_datetime())
	except OneTimeCodeError as e:
		pending["code"] = _code_state_json(state)
		frappe.cache.set_value(key, json.dumps(pending), expires_in_sec=START_SECONDS)
		frappe.throw(
			_("{0}. {1} tries left.").format(_(e.reason), e.attempts_left)
			if e.attempts_left
			else _(e.reason),
			title=_("Wrong code"),
		)
	if not frappe.cache.delete(frappe.cache.make_key(key)):  # one start, one request
		frappe.throw(_("This code was already used."), title=_("Code expired"))
	count_hit("public_lead:ip", ip, LEADS_PER_ADDRESS, DAY)

	template = public_template(pending["slug"])
	recipient = Recipient(name=pending["name"], email=pending["email"], mobile=pending["mobile"])
	from crm_sign.automation.runs import as_user

	with as_user(template.public_sender):
		lead = lead_for(recipient, template)
		request = requests.create_sign_request(
			lead, template.name, recipient=recipient, channel="Email", otp_method="Email"
		)
	row = next(r for r in request.signers if r.signer_role == "Counterparty")
	# The visitor proved the address in this browser a moment ago: the request's code counts as
	# confirmed here (cookie-bound, as after entering it on the signing page).
	signer_session.start_code_session(request, row)
	log_event(request, "code_verified", actor=recipient.email, data={"public_link": template.name})
	return {"url": requests.current_link(request, row), "lead": lead.name}


def lead_for(recipient: Recipient, template):
	"""The Lead with this e-mail address, else a new one (as the sender, with their permissions)."""
	name = frappe.db.get_value("Lead", {"email_id": recipient.email}, "name", order_by="creation asc")
	if name:
		return frappe.get_doc("Lead", name)
	first, _sep, last = recipient.name.rpartition(" ")
	lead = frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": first or last,
			"last_name": last if first else "",
			"email_id": recipient.email,
			"mobile_no": recipient.mobile or None,
		}
	).insert()
	lead.add_comment(
		"Info", _("Created from the public signing link of {0}").format(frappe.bold(template.template_name))
	)
	return lead


def _code_state_json(state: tokens.OneTimeCode) -> dict:
	data = dataclasses.asdict(state)
	for key in ("expires_at", "last_sent_at"):
		data[key] = data[key].isoformat() if data[key] else None
	return data


def _code_state_from(data: dict) -> tokens.OneTimeCode:
	values = dict(data)
	for key in ("expires_at", "last_sent_at"):
		values[key] = get_datetime(values[key]) if values[key] else None
	return tokens.OneTimeCode(**values)
