"""Deliver signing links by e-mail (Frappe's Email Queue) and SMS (Twilio or Frappe's SMS gateway).

Every attempt is recorded on the signer row and in the audit chain. A failed SMS is retried with
backoff by the scheduler (`retry_failed_deliveries`) and stays visible on the request until it goes
through or runs out of attempts; nothing is dropped silently.

The texts come from the Sign Template, written by its editors, and are rendered in the sandbox of
`text_templates` over plain values the request's owner may read: a reminder job running as the owner
must not run an editor's code with the owner's rights. A text that cannot be rendered is a delivery
failure on the signer row, like an unreachable gateway.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from crm_sign.channels.twilio_sms import SMSDeliveryError, TwilioConfig, send_twilio_sms
from crm_sign.signing.audit_log import log_event
from crm_sign.signing.requests import set_row
from crm_sign.signing.text_templates import TextTemplateError, record_values, render_text

RETRY_MINUTES = (1, 5, 15, 60, 240)  # backoff between attempts; then the failure stays for a human
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1

DEFAULT_EMAIL_SUBJECT = "Please sign: {{ title }}"
DEFAULT_EMAIL_BODY = """<p>{{ _("Hello") }} {{ signer_name }},</p>
<p>{{ _("{0} asks you to sign {1}.").format(sender, title) }}</p>
<p><a href="{{ link }}" style="display:inline-block;padding:10px 18px;background:#2563eb;color:#fff;border-radius:6px;text-decoration:none">{{ _("Review and sign") }}</a></p>
<p style="color:#6b7280;font-size:12px">{{ _("This personal link expires on {0}. Do not forward it.").format(expires_on) }}</p>"""
DEFAULT_SMS_TEXT = "{{ _('{0} asks you to sign {1}:').format(sender, title) }} {{ link }}"
# CC: the template's texts ask for a signature, so a copy's recipient gets texts of their own.
COPY_EMAIL_SUBJECT = "For your information: {{ title }}"
COPY_EMAIL_BODY = """<p>{{ _("Hello") }} {{ signer_name }},</p>
<p>{{ _("{0} sends you {1} for your information. You do not need to sign; you will receive the signed copy.").format(sender, title) }}</p>
<p><a href="{{ link }}">{{ _("View the document") }}</a></p>"""
COPY_SMS_TEXT = "{{ _('{0} sends you {1} for your information:').format(sender, title) }} {{ link }}"
TEMPLATE_TEXTS = ("email_subject", "email_body", "sms_text")
# The code e-mail goes before the invitations and reminders waiting in the Email Queue.
CODE_EMAIL_PRIORITY = 10


def deliver(request, row, reason: str = "invite") -> None:
	"""Send `row` its current link. Jobs get the signer row's name, never the link (job arguments end
	up in Redis and in Error Logs)."""
	from crm_sign.signing.requests import current_link

	channel = row.channel or request.channel or "Email"
	if "Email" in channel and row.email:
		send_email(request, row, current_link(request, row), reason)
	if "SMS" in channel and row.mobile:
		set_row(row, {"delivery_status": "Queued", "next_retry_on": None})
		frappe.enqueue(
			"crm_sign.signing.delivery.deliver_sms_job",
			queue="short",
			request_name=request.name,
			signer_name=row.name,
			reason=reason,
			user=request.owner,
			now=bool(frappe.flags.in_test),
			enqueue_after_commit=not frappe.flags.in_test,
		)


def message_context(request, row, link: str) -> dict:
	"""Plain values for the texts: the record as its owner may read it, and the request's strings."""
	doc = frappe.get_doc(request.reference_doctype, request.reference_name)
	return {
		"doc": record_values(doc, request.owner),
		"title": request.title or "",
		"signer_name": row.signer_name or "",
		"link": link,
		"sender": frappe.utils.get_fullname(request.owner),
		"expires_on": frappe.utils.format_datetime(request.expires_on) if request.expires_on else "",
	}


def texts_for(request, row) -> frappe._dict:
	"""The subject, body and SMS text `row` gets: a CC's own, else the template's (or the defaults)."""
	if row.signer_role == "CC":
		return frappe._dict(
			email_subject=_(COPY_EMAIL_SUBJECT), email_body=COPY_EMAIL_BODY, sms_text=COPY_SMS_TEXT
		)
	return template_texts(request)


def template_texts(request) -> frappe._dict:
	"""The Sign Template's subject, body and SMS text, in one query (empty without a template)."""
	texts = None
	if request.template:
		texts = frappe.db.get_value("Sign Template", request.template, list(TEMPLATE_TEXTS), as_dict=True)
	return texts or frappe._dict()


def render_message(request, fieldname: str, source: str, context: dict, *, html: bool) -> str:
	"""One text of the message in the sandbox; TextTemplateError names the template and the field."""
	labels = {
		"email_subject": _("The e-mail subject of Sign Template {0}"),
		"email_body": _("The e-mail text of Sign Template {0}"),
		"sms_text": _("The SMS text of Sign Template {0}"),
	}
	return render_text(
		source, context, html=html, label=labels[fieldname].format(request.template or _("(default)"))
	)


def record_delivery_failure(request, row, channel: str, to: str, error: str, **data) -> None:
	"""Show a failed delivery on the signer row and the request, and log it in the audit chain."""
	values = {"delivery_status": "Failed", "last_delivery_error": error[:1000]}
	values.update(
		{key: value for key, value in data.items() if key in ("delivery_attempts", "next_retry_on")}
	)
	set_row(row, values)
	request.db_set("last_error", error[:1000])
	log_event(
		request,
		"delivery_failed",
		who=to,
		detail=error[:500],
		data={"channel": channel, "to": to, **{k: str(v or "") for k, v in data.items()}},
	)


def send_email(request, row, link: str, reason: str) -> None:
	texts = texts_for(request, row)
	context = message_context(request, row, link)
	body_source = texts.email_body or DEFAULT_EMAIL_BODY
	try:
		subject = render_message(
			request, "email_subject", texts.email_subject or _(DEFAULT_EMAIL_SUBJECT), context, html=False
		)
		body = render_message(request, "email_body", body_source, context, html=True)
	except TextTemplateError as e:
		record_delivery_failure(request, row, "Email", row.email, str(e))
		return
	if "{{ link }}" not in body_source and link not in body:
		body += f'<p><a href="{link}">{link}</a></p>'  # a custom body without the link still carries it
	queued = frappe.sendmail(
		recipients=[row.email],
		subject=" ".join(subject.split()),  # a subject is one line
		message=body,
		reference_doctype="Sign Request",
		reference_name=request.name,
		delayed=True,
	)
	if not queued:  # Frappe drops mail to unsubscribed or invalid addresses without raising
		error = _("No e-mail was queued for {0} (unsubscribed or invalid address)").format(row.email)
		record_delivery_failure(request, row, "Email", row.email, error)
		return
	set_row(row, {"delivery_status": "Sent", "sent_on": now_datetime(), "last_delivery_error": ""})
	log_event(
		request,
		"sent",
		who=row.email,
		data={"channel": "Email", "to": row.email, "reason": reason, "role": row.signer_role},
	)


def deliver_sms_job(
	request_name: str, signer_name: str, reason: str = "invite", user: str | None = None
) -> None:
	"""Background job: runs as the request owner because Frappe's SMS gateway refuses Guest."""
	if user and frappe.session.user != user:
		frappe.set_user(user)
	request = frappe.get_doc("Sign Request", request_name)
	row = next((r for r in request.signers if r.name == signer_name), None)
	if row is None or request.status in ("Cancelled", "Declined", "Expired", "Completed"):
		return
	from crm_sign.signing.requests import current_link

	link = current_link(request, row)
	attempts = (row.delivery_attempts or 0) + 1
	try:
		text = render_message(
			request,
			"sms_text",
			texts_for(request, row).sms_text or DEFAULT_SMS_TEXT,
			message_context(request, row, link),
			html=False,
		)
	except TextTemplateError as e:
		# retrying cannot help until someone corrects the template: no next_retry_on
		record_delivery_failure(
			request, row, "SMS", row.mobile, str(e), delivery_attempts=attempts, next_retry_on=None
		)
		return
	if link not in text:
		text = f"{text} {link}"
	try:
		send_sms(row.mobile, text)
	except SMSDeliveryError as e:
		retry_at = (
			add_to_date(now_datetime(), minutes=RETRY_MINUTES[attempts - 1])
			if attempts < MAX_ATTEMPTS
			else None
		)
		set_row(
			row,
			{
				"delivery_status": "Failed",
				"delivery_attempts": attempts,
				"last_delivery_error": str(e)[:1000],
				"next_retry_on": retry_at,
			},
		)
		request.db_set("last_error", _("SMS to {0} failed: {1}").format(row.mobile, str(e))[:1000])
		log_event(
			request,
			"delivery_failed",
			who=row.mobile,
			detail=str(e)[:500],
			data={"channel": "SMS", "to": row.mobile, "attempt": attempts, "retry_at": str(retry_at or "")},
		)
		return
	set_row(
		row,
		{
			"delivery_status": "Sent",
			"delivery_attempts": attempts,
			"sent_on": now_datetime(),
			"last_delivery_error": "",
			"next_retry_on": None,
		},
	)
	if request.last_error and request.last_error.startswith(
		_("SMS to {0} failed").format(row.mobile).split(":")[0]
	):
		request.db_set("last_error", "")
	log_event(
		request,
		"sent",
		who=row.mobile,
		data={
			"channel": "SMS",
			"to": row.mobile,
			"attempt": attempts,
			"reason": reason,
			"role": row.signer_role,
		},
	)


def send_sms(mobile: str, text: str) -> None:
	"""One SMS through the configured provider; raises SMSDeliveryError on any failure."""
	settings = frappe.get_cached_doc("Sign Settings")
	if settings.sms_provider == "Frappe SMS Settings":
		_send_via_frappe_gateway(mobile, text)
		return
	config = TwilioConfig(
		account_sid=settings.twilio_account_sid or "",
		auth_token=settings.get_password("twilio_auth_token", raise_exception=False) or "",
		from_number=settings.twilio_from_number or "",
		messaging_service_sid=settings.twilio_messaging_service_sid or "",
		api_base_url=frappe.conf.get("crm_sign_twilio_api_url") or "",
	)
	send_twilio_sms(config, mobile, text)


def _send_via_frappe_gateway(mobile: str, text: str) -> None:
	from frappe.core.doctype.sms_settings.sms_settings import send_via_gateway

	if not frappe.db.get_single_value("SMS Settings", "sms_gateway_url"):
		raise SMSDeliveryError(_("SMS Settings has no gateway URL"))
	try:
		send_via_gateway({"receiver_list": [mobile], "message": text, "success_msg": False})
	except Exception as e:  # requests raises HTTPError/ConnectionError from the gateway call
		raise SMSDeliveryError(str(e))


def retry_failed_deliveries() -> None:
	"""Scheduler: retry SMS deliveries whose backoff has passed."""
	rows = frappe.get_all(
		"Sign Request Signer",
		filters={
			"delivery_status": "Failed",
			"next_retry_on": ("<=", now_datetime()),
			"parenttype": "Sign Request",
		},
		fields=["name", "parent"],
	)
	for row in rows:
		request = frappe.get_doc("Sign Request", row.parent)
		if request.status not in ("Sent", "Viewed", "Partially Signed"):
			continue
		# The same link again: an e-mail of an "Email and SMS" request carries it too. One bad row
		# must not keep the others from their retry.
		try:
			deliver_sms_job(request.name, row.name, reason="retry", user=request.owner)
		except Exception:
			frappe.log_error(
				title=f"crm_sign: retrying the SMS of {request.name} failed",
				reference_doctype="Sign Request",
				reference_name=request.name,
			)


def send_code(request, row, code: str) -> None:
	"""The one-time code, by the request's method. An SMS goes out inline so the signer gets it at
	once; an e-mail goes through the Email Queue (sent by a job right after this request commits), so
	an unreachable mail server shows as a failure on the signer row instead of an error page."""
	if request.otp_method == "SMS":
		if not row.mobile:
			frappe.throw(_("No mobile number is known for you; ask the sender to resend by e-mail."))
		message = _("Your code to sign {0} is {1}. It is valid for 5 minutes.").format(request.title, code)
		previous_user = frappe.session.user
		frappe.set_user(request.owner)  # Frappe's SMS gateway refuses Guest
		try:
			send_sms(row.mobile, message)
		except SMSDeliveryError as e:
			log_event(
				request,
				"delivery_failed",
				who=row.mobile,
				detail=str(e)[:500],
				data={"channel": "SMS", "kind": "code"},
			)
			frappe.db.commit()  # nosemgrep: keep the failure on record although the call fails
			frappe.throw(_("We could not send the code by SMS. Please try again in a minute."))
		finally:
			frappe.set_user(previous_user)
		return
	if not row.email:
		frappe.throw(_("No e-mail address is known for you; ask the sender to resend by SMS."))
	queued, error = queue_code_email(row.email, request.title, code, "Sign Request", request.name)
	if not queued:
		record_code_email_failure(request, row, error)
		frappe.db.commit()  # nosemgrep: keep the failure on record although the call fails
		frappe.throw(_("We could not send the code by e-mail. Please try again in a minute."))
	frappe.enqueue(
		"crm_sign.signing.delivery.send_code_email",
		queue="short",
		email_queue=queued.name,
		request_name=request.name,
		signer_name=row.name,
		enqueue_after_commit=True,
	)


def queue_code_email(
	email: str, title: str, code: str, reference_doctype: str, reference_name: str
) -> tuple[Any, str]:
	"""Queue a one-time code e-mail ahead of the invitations and reminders waiting in the Email Queue:
	(the Email Queue, "") or (None, why not). The caller sends it at once with a job: a code lives 5
	minutes."""
	message = _("Your code to sign {0} is {1}. It is valid for 5 minutes.").format(title, code)
	messages = len(frappe.local.message_log)
	try:
		queued = frappe.sendmail(
			recipients=[email],
			# never the code itself: subjects show in notifications and mailbox lists
			subject=_("Your code to sign {0}").format(title),
			message=f"<p>{frappe.utils.escape_html(message)}</p>",
			reference_doctype=reference_doctype,
			reference_name=reference_name,
			delayed=True,
			now=False,
			send_priority=CODE_EMAIL_PRIORITY,
		)
	except Exception as e:  # no outgoing account, an invalid address: the page must still answer
		frappe.local.message_log = frappe.local.message_log[:messages]  # our message, not Frappe's
		return None, str(e) or type(e).__name__
	if not queued:  # Frappe drops mail to unsubscribed or invalid addresses without raising
		return None, _("No e-mail was queued for {0} (unsubscribed or invalid address)").format(email)
	return queued, ""


def send_code_email(email_queue: str, request_name: str, signer_name: str) -> None:
	"""Background job: send the queued code e-mail now (the Email Queue's own scheduler may take
	minutes, and the code lives 5). A failure stays on the signer row; the queue retries it."""
	error = send_queued_email(email_queue)
	if error:
		request = frappe.get_doc("Sign Request", request_name)
		row = next((r for r in request.signers if r.name == signer_name), None)
		if row is not None:
			record_code_email_failure(request, row, error)
		frappe.log_error(
			title=_("The one-time code e-mail for {0} could not be sent").format(request_name)[:140],
			message=error,
			reference_doctype="Sign Request",
			reference_name=request_name,
		)


def send_queued_email(email_queue: str) -> str | None:
	"""Send one queued e-mail now (a code lives 5 minutes; the queue's scheduler may take longer).
	Returns the error, if any; the Email Queue retries a failed mail on its own."""
	from frappe.email.doctype.email_queue.email_queue import EmailQueue

	if not frappe.db.exists("Email Queue", email_queue):
		return None
	try:
		EmailQueue.find(email_queue).send()
	except Exception as e:
		return str(e) or type(e).__name__
	return None


def record_code_email_failure(request, row, error: str) -> None:
	record_delivery_failure(
		request,
		row,
		"Email",
		row.email,
		_("The one-time code e-mail to {0} could not be sent: {1}").format(row.email, error),
	)
