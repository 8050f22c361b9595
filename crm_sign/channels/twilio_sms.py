"""Send an SMS through the official twilio SDK.

`api_base_url` points the SDK at another host (tests use a loopback HTTP server; nothing in the test
suites ever reaches Twilio).
"""

from __future__ import annotations

from dataclasses import dataclass


class SMSDeliveryError(Exception):
	"""The gateway refused the message or could not be reached."""


@dataclass
class TwilioConfig:
	account_sid: str
	auth_token: str
	from_number: str = ""
	messaging_service_sid: str = ""
	api_base_url: str = ""  # default: the SDK's own


def send_twilio_sms(config: TwilioConfig, to: str, body: str, timeout: float = 15.0) -> str:
	"""Send `body` to `to`; returns the message SID. Raises SMSDeliveryError with the gateway's reason."""
	from twilio.base.exceptions import TwilioException, TwilioRestException
	from twilio.http.http_client import TwilioHttpClient
	from twilio.rest import Client

	if not (config.account_sid and config.auth_token):
		raise SMSDeliveryError("Twilio Account SID and Auth Token are not configured")
	if not (config.from_number or config.messaging_service_sid):
		raise SMSDeliveryError("Twilio needs a From number or a Messaging Service SID")
	client = Client(config.account_sid, config.auth_token, http_client=TwilioHttpClient(timeout=timeout))
	if config.api_base_url:
		client.api.base_url = config.api_base_url.rstrip("/")
	sender = (
		{"messaging_service_sid": config.messaging_service_sid}
		if config.messaging_service_sid
		else {"from_": config.from_number}
	)
	try:
		message = client.messages.create(to=normalize_number(to), body=body, **sender)
	except TwilioRestException as e:
		raise SMSDeliveryError(f"Twilio refused the message ({e.status}): {e.msg}")
	except (TwilioException, OSError) as e:
		raise SMSDeliveryError(f"Twilio could not be reached: {e}")
	except Exception as e:  # requests' ConnectionError/Timeout are not OSError subclasses everywhere
		raise SMSDeliveryError(f"Twilio could not be reached: {e}")
	return message.sid


def normalize_number(number: str) -> str:
	"""Strip spaces, dashes, dots and brackets; keep a leading +."""
	cleaned = "".join(ch for ch in (number or "") if ch.isdigit() or ch == "+")
	if cleaned.count("+") > 1 or ("+" in cleaned and not cleaned.startswith("+")) or len(cleaned) < 6:
		raise SMSDeliveryError(f"Not a valid mobile number: {number}")
	return cleaned
