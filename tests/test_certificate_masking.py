"""Mobile numbers are masked in the certificate's audit table and signer cards, like e-mails."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

from pypdf import PdfReader

from crm_sign.engine.certificate import AuditLine, CertificateInfo, SignerEvidence, build_certificate

TZ = timezone(timedelta(hours=3))


def certificate_text(**kw) -> str:
	info = CertificateInfo(
		title="Hizmet Sözleşmesi",
		request_id="SIGN-REQ-00077",
		original_sha256="0" * 64,
		signed_sha256="f" * 64,
		completed_at=datetime(2024, 5, 15, 10, 3, tzinfo=TZ),
		**kw,
	)
	pdf = build_certificate(info)
	return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).replace("\n", " ")


def test_mobile_actors_and_numbers_in_details_are_masked():
	text = certificate_text(
		signers=[SignerEvidence("Şirin Yılmaz", "counterparty", phone="+90 532 123 45 67")],
		audit=[
			AuditLine("2024-05-14T09:00:00+03:00", "sent", "+90 532 123 45 67"),
			AuditLine(
				"2024-05-14T09:01:00+03:00",
				"delivery_failed",
				"+905329876543",
				"SMS to +90 533 765 43 21 failed",
			),
			AuditLine("2024-05-14T09:02:00+03:00", "viewed", "05321112233", "from 203.0.113.7"),
			AuditLine("2024-05-14T09:03:00+03:00", "code_sent", "ayse@example.com", "to ayse@example.com"),
		],
	)
	for raw in ("532 123 45", "5329876", "533 765 43", "5321112", "ayse@"):
		assert raw not in text, raw
	assert "+90 *** *** ** 67" in text
	assert "203.0.113.7" in text  # an IP address is evidence, not a contact detail
	assert "a***@example.com" in text


def test_a_signer_known_only_by_their_number_is_masked():
	text = certificate_text(
		signers=[SignerEvidence("+90 532 123 45 67", "counterparty", phone="+90 532 123 45 67")]
	)
	assert "532 123" not in text
	assert "+90 *** *** ** 67" in text
