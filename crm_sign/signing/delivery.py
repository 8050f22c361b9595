"""Deliver signing links by e-mail (Frappe's Email Queue) and SMS (Twilio or Frappe's SMS gateway).

Every attempt is recorded on the signer row and in the audit chain. A failed SMS is retried with
backoff by the scheduler (`retry_failed_deliveries`) and stays visible on the request until it goes
through or runs out of attempts; nothing is dropped silently.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from crm_sign.channels.twilio_sms import SMSDeliveryError, TwilioConfig, send_twilio_sms
from crm_sign.signing.audit_log import log_event

RETRY_MINUTES = (1, 5, 15, 60, 240)  # backoff between attempts; then the failure stays for a human
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1

DEFAULT_EMAIL_SUBJECT = "Please sign: {{ title }}"
DEFAULT_EMAIL_BODY = """<p>{{ _("Hello") }} {{ signer_name }},</p>
<p>{{ _("{0} asks you to sign {1}.").format(sender, title) }}</p>
<p><a href="{{ link }}" style="display:inline-block;padding:10px 18px;background:#2563eb;color:#fff;border-radius:6px;text-decoration:none">{{ _("Review and sign") }}</a></p>
<p style="color:#6b7280;font-size:12px">{{ _("This personal link expires on {0}. Do not forward it.").format(expires_on) }}</p>"""
DEFAULT_SMS_TEXT = "{{ _('{0} asks you to sign {1}:').format(sender, title) }} {{ link }}"


def deliver(request, row, link: str, reason: str = "invite") -> None:
	channel = row.channel or request.channel or "Email"
	if "Email" in channel and row.email:
		send_email(request, row, link, reason)
	if "SMS" in channel and row.mobile:
		row.db_set({"delivery_status": "Queued", "next_retry_on": None})
		frappe.enqueue(
			"crm_sign.signing.delivery.deliver_sms_job",
			queue="short",
			request_name=request.name,
			signer_name=row.name,
			link=link,
			reason=reason,
			user=request.owner,
			now=bool(frappe.flags.in_test),
			enqueue_after_commit=not frappe.flags.in_test,
		)


def message_context(request, row, link: str) -> dict:
	doc = frappe.get_doc(request.reference_doctype, request.reference_name)
	return {
		"doc": doc,
		"title": request.title,
		"signer_name": row.signer_name or "",
		"link": link,
		"sender": frappe.utils.get_fullname(request.owner),
		"expires_on": frappe.utils.format_datetime(request.expires_on) if request.expires_on else "",
		"_": _,
	}


def _template_text(request, fieldname: str, default: str) -> str:
	value = frappe.db.get_value("Sign Template", request.template, fieldname) if request.template else None
	return value or default


def send_email(request, row, link: str, reason: str) -> None:
	context = message_context(request, row, link)
	subject = frappe.render_template(
		_template_text(request, "email_subject", _(DEFAULT_EMAIL_SUBJECT)), context
	)
	body = frappe.render_template(_template_text(request, "email_body", DEFAULT_EMAIL_BODY), context)
	if "{{ link }}" not in _template_text(request, "email_body", "{{ link }}") and link not in body:
		body += f'<p><a href="{link}">{link}</a></p>'  # a custom body without the link still carries it
	queued = frappe.sendmail(
		recipients=[row.email],
		subject=subject,
		message=body,
		reference_doctype="Sign Request",
		reference_name=request.name,
		delayed=True,
	)
	if not queued:  # Frappe drops mail to unsubscribed or invalid addresses without raising
		error = _("No e-mail was queued for {0} (unsubscribed or invalid address)").format(row.email)
		row.db_set({"delivery_status": "Failed", "last_delivery_error": error})
		request.db_set("last_error", error)
		log_event(
			request,
			"delivery_failed",
			who=row.email,
			detail=error,
			data={"channel": "Email", "to": row.email},
		)
		return
	row.db_set({"delivery_status": "Sent", "sent_on": now_datetime(), "last_delivery_error": ""})
	log_event(request, "sent", who=row.email, data={"channel": "Email", "to": row.email, "reason": reason})


def deliver_sms_job(
	request_name: str, signer_name: str, link: str, reason: str = "invite", user: str | None = None
) -> None:
	"""Background job: runs as the request owner because Frappe's SMS gateway refuses Guest."""
	if user and frappe.session.user != user:
		frappe.set_user(user)
	request = frappe.get_doc("Sign Request", request_name)
	row = next((r for r in request.signers if r.name == signer_name), None)
	if row is None or request.status in ("Cancelled", "Declined", "Expired", "Completed"):
		return
	context = message_context(request, row, link)
	text = frappe.render_template(_template_text(request, "sms_text", DEFAULT_SMS_TEXT), context)
	if link not in text:
		text = f"{text} {link}"
	attempts = (row.delivery_attempts or 0) + 1
	try:
		send_sms(row.mobile, text)
	except SMSDeliveryError as e:
		retry_at = (
			add_to_date(now_datetime(), minutes=RETRY_MINUTES[attempts - 1])
			if attempts < MAX_ATTEMPTS
			else None
		)
		row.db_set(
			{
				"delivery_status": "Failed",
				"delivery_attempts": attempts,
				"last_delivery_error": str(e)[:1000],
				"next_retry_on": retry_at,
			}
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
	row.db_set(
		{
			"delivery_status": "Sent",
			"delivery_attempts": attempts,
			"sent_on": now_datetime(),
			"last_delivery_error": "",
			"next_retry_on": None,
		}
	)
	if request.last_error and request.last_error.startswith(
		_("SMS to {0} failed").format(row.mobile).split(":")[0]
	):
		request.db_set("last_error", "")
	log_event(
		request,
		"sent",
		who=row.mobile,
		data={"channel": "SMS", "to": row.mobile, "attempt": attempts, "reason": reason},
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
		# Only the token's HMAC is stored, so a retry carries a fresh link (the failed one never arrived).
		from crm_sign.signing.requests import issue_link

		signer = next(r for r in request.signers if r.name == row.name)
		deliver_sms_job(
			request.name, row.name, issue_link(request, signer), reason="retry", user=request.owner
		)


def send_code(request, row, code: str) -> None:
	"""The one-time code, by the request's method; sent inline so the signer gets it at once."""
	message = _("Your code to sign {0} is {1}. It is valid for 5 minutes.").format(request.title, code)
	if request.otp_method == "SMS":
		if not row.mobile:
			frappe.throw(_("No mobile number is known for you; ask the sender to resend by e-mail."))
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
	frappe.sendmail(
		recipients=[row.email],
		subject=_("Your signing code: {0}").format(code),
		message=f"<p>{frappe.utils.escape_html(message)}</p>",
		reference_doctype="Sign Request",
		reference_name=request.name,
		now=True,
	)
