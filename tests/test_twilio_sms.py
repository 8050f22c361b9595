import socket

import pytest

from crm_sign.channels.twilio_sms import SMSDeliveryError, TwilioConfig, normalize_number, send_twilio_sms
from crm_sign.tests.loopback_sms import LoopbackTwilio

SID = "AC" + "1" * 32


def config(url, **kw):
	return TwilioConfig(
		account_sid=SID, auth_token="secret", from_number="+15005550006", api_base_url=url, **kw
	)


def test_message_reaches_gateway_with_link():
	with LoopbackTwilio() as gateway:
		sid = send_twilio_sms(
			config(gateway.url), "+90 (532) 111-22-33", "Sign here: https://crm.example/sign/abc"
		)
	assert sid.startswith("SM")
	[request] = gateway.received
	assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
	assert request["form"]["To"] == "+905321112233"
	assert request["form"]["From"] == "+15005550006"
	assert "https://crm.example/sign/abc" in request["form"]["Body"]
	assert request["auth"].startswith("Basic ")


def test_messaging_service_sid_used_when_set():
	with LoopbackTwilio() as gateway:
		send_twilio_sms(config(gateway.url, messaging_service_sid="MG" + "2" * 32), "+905321112233", "x")
	form = gateway.received[0]["form"]
	assert form["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in form


def test_gateway_error_is_reported():
	with LoopbackTwilio(fail_times=1, status=503) as gateway:
		with pytest.raises(SMSDeliveryError, match="503"):
			send_twilio_sms(config(gateway.url), "+905321112233", "x")


def test_gateway_down_is_reported():
	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		port = s.getsockname()[1]
	with pytest.raises(SMSDeliveryError, match="could not be reached"):
		send_twilio_sms(config(f"http://127.0.0.1:{port}"), "+905321112233", "x", timeout=2)


@pytest.mark.parametrize("bad", ["", "12", "+90+532", "90+5321112233"])
def test_bad_numbers_refused(bad):
	with pytest.raises(SMSDeliveryError):
		normalize_number(bad)


def test_missing_credentials():
	with pytest.raises(SMSDeliveryError, match="not configured"):
		send_twilio_sms(TwilioConfig("", ""), "+905321112233", "x")
