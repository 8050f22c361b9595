"""The certificate of completion and the masking of contact details (crm_sign.engine.certificate)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from pypdf import PdfReader

from crm_sign.engine.certificate import (
	AuditLine,
	CertificateInfo,
	SignerEvidence,
	build_certificate,
	mask_email,
	mask_phone,
)

TZ = timezone(timedelta(hours=3))
UA = (
	"Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
	"(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Instagram 330.0.0.40.92"
)


def info(**kw) -> CertificateInfo:
	data = dict(
		title="Hizmet Sözleşmesi / Service Agreement",
		request_id="SIGN-REQ-00042",
		original_sha256="0" * 63 + "a",
		signed_sha256="f" * 63 + "b",
		audit_head_hash="c" * 64,
		company="Örnek Yazılım Teknolojileri A.Ş.",
		completed_at=datetime(2024, 5, 15, 10, 3, tzinfo=TZ),
		time_zone="Europe/Istanbul",
		signers=[
			SignerEvidence(
				"Şirin Yılmaz",
				"counterparty",
				email="sirin.yilmaz@agaoglu.com.tr",
				phone="+90 532 123 45 67",
				ip="203.0.113.7",
				user_agent=UA,
				signed_at=datetime(2024, 5, 15, 10, 1, tzinfo=TZ),
				verified_by="sms_otp",
			),
			SignerEvidence(
				"Deniz Kaya", "company", email="deniz@ornek.com.tr", signed_at="2024-05-14T17:22:01Z"
			),
		],
		audit=[
			AuditLine("2024-05-14T09:00:00+03:00", "created", "deniz@ornek.com.tr"),
			AuditLine(
				datetime(2024, 5, 15, 10, 1, tzinfo=TZ), "signed", "Şirin Yılmaz", "İmza atıldı / signed"
			),
		],
	)
	data.update(kw)
	return CertificateInfo(**data)


def text_of(pdf: bytes) -> tuple[list[str], int]:
	reader = PdfReader(BytesIO(pdf))
	return [page.extract_text() for page in reader.pages], len(reader.pages)


@pytest.mark.parametrize(
	"email, masked",
	[
		("ayse@example.com", "a***@example.com"),
		("Şirin.Yılmaz@agaoglu.com.tr", "Ş***@agaoglu.com.tr"),
		("x@y.z", "x***@y.z"),
		("no-at-sign", "n***"),
		("", ""),
		(None, ""),
	],
)
def test_mask_email(email, masked):
	assert mask_email(email) == masked


@pytest.mark.parametrize(
	"phone, masked",
	[
		("+90 532 123 45 67", "+90 *** *** ** 67"),
		("+905321234567", "+90********67"),
		("+1 (415) 555-0134", "+1 (***) ***-**34"),
		("0090 532 123 45 67", "0090 *** *** ** 67"),
		("0532 123 45 67", "**** *** ** 67"),
		("12", "**"),
		("", ""),
		("n/a", "***"),
	],
)
def test_mask_phone(phone, masked):
	assert mask_phone(phone) == masked


def test_english_certificate():
	pages, count = text_of(build_certificate(info()))
	text = "\n".join(pages)
	assert count == 1
	for expected in (
		"Certificate of Completion",
		"Hizmet Sözleşmesi / Service Agreement",
		"SIGN-REQ-00042",
		"0" * 63 + "a",
		"f" * 63 + "b",
		"c" * 64,
		"Şirin Yılmaz",
		"Counterparty",
		"s***@agaoglu.com.tr",
		"+90 *** *** ** 67",
		"One-time code by SMS",
		"2024-05-15 10:01:00 UTC+03:00",
		"2024-05-14 20:22:01 UTC+03:00",  # given in UTC, shown in the site's zone with its offset
		"Europe/Istanbul",
		"d***@ornek.com.tr",
		"İmza atıldı / signed",
		"Page 1 of 1",
	):
		assert expected in text.replace("\n", "") or expected in text, expected
	# Contact details are masked everywhere, the audit trail included.
	assert "sirin.yilmaz@" not in text and "532 123" not in text and "deniz@ornek" not in text


def test_turkish_certificate():
	text = "\n".join(text_of(build_certificate(info(language="tr-TR")))[0])
	for expected in (
		"Tamamlanma Sertifikası",
		"İmzacılar",
		"Denetim kaydı",
		"İmzaladı",
		"Şirin",
		"Karşı taraf",
		"Oluşturuldu",  # event names too
		"İmzalandı",
		"SMS ile tek kullanımlık kod",
	):
		assert expected in text
	assert "Certificate of Completion" not in text
	assert "created" not in text.replace("\n", " ").split("Denetim kaydı")[1].split("İmza atıldı")[0]
	# Unknown languages fall back to English.
	assert "Certificate of Completion" in text_of(build_certificate(info(language="xx")))[0][0]


def test_user_text_is_escaped():
	nasty = "<script>alert('x')</script> & Co <b>bold</b> <para"
	pdf = build_certificate(
		info(
			title=nasty,
			company="A & B <Ltd>",
			signers=[SignerEvidence(nasty, "<role>", email="a&b@<x>.com", user_agent="<" * 300)],
			audit=[AuditLine("now", "<event>", "<actor>", "&amp; <br/> \x00\x07 done")],
		)
	)
	text = "\n".join(text_of(pdf)[0])
	squashed = text.replace("\n", "")
	assert "<script>alert('x')</script> & Co <b>bold</b> <para" in squashed
	assert "A & B <Ltd>" in squashed
	assert "<event>" in squashed and "<actor>" in squashed and "&amp; <br/>" in squashed


def test_many_signers_and_events_flow_onto_more_pages():
	signers = [
		SignerEvidence(
			f"İmzacı {n} Öztürk", "witness", email=f"user{n}@example.com", user_agent=UA, ip="10.0.0.1"
		)
		for n in range(12)
	]
	start = datetime(2024, 5, 1, 8, 0, tzinfo=TZ)
	audit = [
		AuditLine(
			start + timedelta(minutes=n), "viewed", f"user{n % 12}@example.com", f"Ayrıntı {n} ğüşıöç " * 3
		)
		for n in range(150)
	]
	pages, count = text_of(build_certificate(info(signers=signers, audit=audit)))
	assert count >= 4
	text = "\n".join(pages)
	assert all(f"İmzacı {n} Öztürk" in text for n in range(12))
	assert all(f"Ayrıntı {n} " in text for n in range(150))
	assert f"Page {count} of {count}" in pages[-1]
	# The audit table's header is repeated on every page it continues onto.
	first_audit_page = next(i for i, p in enumerate(pages) if "Audit trail" in p)
	assert all("Details" in p for p in pages[first_audit_page:])


def test_long_user_agent_wraps(render, dark_fraction):
	from crm_sign.engine.fields import Box

	pdf = build_certificate(info())
	text = text_of(pdf)[0][0]
	assert UA not in text.split("\n")  # not on a single line
	assert UA.replace(" ", "") in text.replace("\n", "").replace(" ", "")
	# Nothing is drawn into the right margin.
	assert dark_fraction(render(pdf, dpi=50), Box(0.93, 0.0, 0.07, 1.0)) == 0


def test_one_section_per_signer_language():
	pdf = build_certificate(info(languages=["tr-TR", "en", "tr"]))
	pages, count = text_of(pdf)
	assert count == 2
	assert "Tamamlanma Sertifikası" in pages[0] and "Certificate of Completion" not in pages[0]
	assert "Certificate of Completion" in pages[1] and "Tamamlanma" not in pages[1]
	assert "Sayfa 1 / 2" in pages[0] and "Page 2 of 2" in pages[1]


def test_every_time_carries_its_offset_and_naive_times_are_in_the_site_zone():
	naive = datetime(2024, 1, 10, 9, 30)
	pdf = build_certificate(
		info(
			time_zone="America/New_York",
			completed_at=naive,
			audit=[AuditLine(naive.isoformat(), "completed", "system")],
			signers=[SignerEvidence("Ayşe", "client", signed_at="2024-01-10T14:30:00+00:00")],
		)
	)
	text = "\n".join(text_of(pdf)[0]).replace("\n", " ")
	assert text.count("2024-01-10 09:30:00 UTC-05:00") >= 2  # completed_at and the audit line
	assert "09:30:00 UTC-05:00" in text.split("Signers", 1)[1]  # 14:30 UTC shown in New York time
	assert "UTC+00:00" not in text


def test_desk_login_names_the_account():
	pdf = build_certificate(
		info(
			language="tr",
			signers=[
				SignerEvidence(
					"Deniz", "company", verified_by="login+email_otp", account="deniz@ornek.com.tr"
				)
			],
		)
	)
	text = "\n".join(text_of(pdf)[0]).replace("\n", "")
	assert "d***@ornek.com.tr hesabıyla masaüstü oturumu + E-posta ile tek kullanımlık kod" in text
	assert "deniz@ornek" not in text
