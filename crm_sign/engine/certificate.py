"""The "Certificate of Completion" appended to a signed document.

It lists the document's hashes, every signer with the evidence of how they signed, and the audit trail.
All user-supplied text is escaped before it reaches reportlab's Paragraph markup, so a name such as
``<b>&`` prints literally; emails and phone numbers are masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
	Flowable,
	KeepTogether,
	PageBreak,
	Paragraph,
	SimpleDocTemplate,
	Spacer,
	Table,
	TableStyle,
)

from .fonts import FONT_BOLD, FONT_REGULAR, register_fonts
from .pdf import draw_qr

NAVY = colors.HexColor("#1f3b63")
MUTED = colors.HexColor("#5b6472")
LINE = colors.HexColor("#d5dae1")
SHADE = colors.HexColor("#f3f5f8")
GREEN = colors.HexColor("#1e7b45")
RED = colors.HexColor("#a62b2b")

LABELS: dict[str, dict[str, str]] = {
	"en": {
		"title": "Certificate of Completion",
		"intro": "This certificate records how the document below was signed electronically.",
		"document": "Document",
		"request_id": "Request ID",
		"company": "Company",
		"status": "Status",
		"completed": "Completed",
		"completed_at": "Completed at",
		"signer_count": "Signers",
		"original_sha256": "Original document SHA-256",
		"signed_sha256": "Signed document SHA-256",
		"audit_head": "Audit chain head hash",
		"seal_fingerprint": "Seal certificate SHA-256",
		"signers": "Signers",
		"role": "Role",
		"email": "Email",
		"phone": "Phone",
		"verified_by": "Verified by",
		"signed_at": "Signed at",
		"ip": "Reported IP address",
		"user_agent": "Device / browser",
		"audit": "Audit trail",
		"time": "Time",
		"event": "Event",
		"actor": "Actor",
		"detail": "Details",
		"no_events": "No events recorded.",
		"page": "Page {page} of {pages}",
		"footnote": (
			"The SHA-256 hashes identify the exact files: any change to the signed document changes its hash. "
			"Emails and phone numbers are partly masked for privacy."
		),
		"v_link": "Signing link",
		"v_email_otp": "One-time code by email",
		"v_sms_otp": "One-time code by SMS",
		"v_otp": "One-time code",
		"v_login": "Logged-in user",
		"s_signed": "Signed",
		"s_declined": "Declined",
		"s_pending": "Pending",
		"s_viewed": "Viewed",
		"s_expired": "Expired",
		"r_company": "Company",
		"r_counterparty": "Counterparty",
		"r_client": "Client",
		"r_customer": "Customer",
		"r_witness": "Witness",
		"r_approver": "Approver",
		"v_login_as": "Desk login as {account}",
		"time_zone": "Time zone",
		"verify_at": "Verify at",
		"envelope": "Documents in this envelope",
		"envelope_sha256": "Envelope as the signers saw it, SHA-256",
		"pages": "Pages",
		"this_file": "this file",
		"e_created": "Created",
		"e_sent": "Sent",
		"e_delivery_failed": "Delivery failed",
		"e_viewed": "Viewed",
		"e_code_sent": "Code sent",
		"e_code_verified": "Code confirmed",
		"e_code_failed": "Wrong code",
		"e_signed": "Signed",
		"e_declined": "Declined",
		"e_reminded": "Reminder sent",
		"e_resent": "Sent again",
		"e_expired": "Expired",
		"e_cancelled": "Cancelled",
		"e_completed": "Completed",
		"e_sealed": "Sealed",
	},
	"tr": {
		"title": "Tamamlanma Sertifikası",
		"intro": "Bu sertifika, aşağıdaki belgenin elektronik olarak nasıl imzalandığını kayıt altına alır.",
		"document": "Belge",
		"request_id": "Talep No",
		"company": "Şirket",
		"status": "Durum",
		"completed": "Tamamlandı",
		"completed_at": "Tamamlanma zamanı",
		"signer_count": "İmzacı sayısı",
		"original_sha256": "Orijinal belge SHA-256",
		"signed_sha256": "İmzalı belge SHA-256",
		"audit_head": "Denetim zinciri son özeti",
		"seal_fingerprint": "Mühür sertifikası SHA-256",
		"signers": "İmzacılar",
		"role": "Rol",
		"email": "E-posta",
		"phone": "Telefon",
		"verified_by": "Doğrulama",
		"signed_at": "İmza zamanı",
		"ip": "Bildirilen IP adresi",
		"user_agent": "Cihaz / tarayıcı",
		"audit": "Denetim kaydı",
		"time": "Zaman",
		"event": "Olay",
		"actor": "Kişi",
		"detail": "Ayrıntı",
		"no_events": "Kayıtlı olay yok.",
		"page": "Sayfa {page} / {pages}",
		"footnote": (
			"SHA-256 özetleri dosyaların birebir kimliğidir: imzalı belgede yapılacak her değişiklik özetini "
			"değiştirir. Gizlilik için e-posta adresleri ve telefon numaraları kısmen gizlenmiştir."
		),
		"v_link": "İmza bağlantısı",
		"v_email_otp": "E-posta ile tek kullanımlık kod",
		"v_sms_otp": "SMS ile tek kullanımlık kod",
		"v_otp": "Tek kullanımlık kod",
		"v_login": "Oturum açmış kullanıcı",
		"s_signed": "İmzaladı",
		"s_declined": "Reddetti",
		"s_pending": "Bekliyor",
		"s_viewed": "Görüntüledi",
		"s_expired": "Süresi doldu",
		"r_company": "Şirket",
		"r_counterparty": "Karşı taraf",
		"r_client": "Müşteri",
		"r_customer": "Müşteri",
		"r_witness": "Tanık",
		"r_approver": "Onaylayan",
		"v_login_as": "{account} hesabıyla masaüstü oturumu",
		"time_zone": "Saat dilimi",
		"verify_at": "Doğrulama adresi",
		"envelope": "Bu zarftaki belgeler",
		"envelope_sha256": "İmzacıların gördüğü zarf, SHA-256",
		"pages": "Sayfalar",
		"this_file": "bu dosya",
		"e_created": "Oluşturuldu",
		"e_sent": "Gönderildi",
		"e_delivery_failed": "İletilemedi",
		"e_viewed": "Görüntülendi",
		"e_code_sent": "Kod gönderildi",
		"e_code_verified": "Kod doğrulandı",
		"e_code_failed": "Yanlış kod",
		"e_signed": "İmzalandı",
		"e_declined": "Reddedildi",
		"e_reminded": "Hatırlatma gönderildi",
		"e_resent": "Yeniden gönderildi",
		"e_expired": "Süresi doldu",
		"e_cancelled": "İptal edildi",
		"e_completed": "Tamamlandı",
		"e_sealed": "Mühürlendi",
	},
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")
_DOTTED = re.compile(r"^\d+(\.\d+)+$")  # an IP address or a decimal number, not a phone
_EMAIL_IN_TEXT = re.compile(r"[^@\s<>()\[\]\"',;:]+@[^@\s<>()\[\]\"',;:]+\.[A-Za-z]{2,}")
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])\+\d[\d\s().\-/]{5,}\d")


# ----------------------------------------------------------------------------------------- masking


def mask_email(email: str | None) -> str:
	"""Keep the first letter and the domain: "ayse@example.com" -> "a***@example.com"."""
	email = (email or "").strip()
	if not email:
		return ""
	local, at, domain = email.rpartition("@")
	if not at or not local:
		return email[:1] + "***"
	return f"{local[0]}***@{domain}"


def mask_phone(phone: str | None) -> str:
	"""Keep a country-code prefix and the last 2 digits: "+90 532 123 45 67" -> "+90 *** *** ** 67"."""
	phone = (phone or "").strip()
	if not phone:
		return ""
	digits = sum(ch.isdigit() for ch in phone)
	if digits == 0:
		return "***"
	keep_head = 0
	if digits > 6:
		for prefix, extra in (("+", 0), ("00", 2)):
			if phone.startswith(prefix):
				rest = phone[len(prefix) :].lstrip()
				# "+90 532 ..." shows its country code as a group; "+905321..." gets a guess of 2 digits.
				group = re.match(r"\d{1,3}(?=\D)", rest)
				keep_head = extra + (len(group.group(0)) if group else 2)
				break
	keep_tail = 2 if digits > 4 else 1 if digits > 2 else 0
	out: list[str] = []
	seen = 0
	for ch in phone:
		if ch.isdigit():
			seen += 1
			out.append(ch if seen <= keep_head or seen > digits - keep_tail else "*")
		else:
			out.append(ch)
	return "".join(out)


def _mask_contact(value: str | None) -> str:
	"""Audit actors and signer names are often an e-mail address or a mobile number (a signer known
	only by their number): mask those like the signers' own contact details."""
	text = (value or "").strip()
	if _EMAIL.match(text):
		return mask_email(text)
	if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 7 and not _DOTTED.match(text):
		return mask_phone(text)
	return text


def _mask_contacts_in(text: str | None) -> str:
	"""E-mail addresses and international numbers ("+90 532 ...") inside free text, masked."""
	text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group(0)), text or "")
	return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


# ------------------------------------------------------------------------------------------- model


@dataclass
class SignerEvidence:
	name: str
	role: str
	email: str | None = None
	phone: str | None = None
	ip: str | None = None
	user_agent: str | None = None
	signed_at: datetime | str | None = None
	# How the signer was identified: label keys joined by "+", e.g. "link+sms_otp" or "login+email_otp".
	verified_by: str = "link"
	status: str = "signed"
	account: str = ""  # the desk user of a "login" signer
	language: str = ""  # the language the signer used on the signing page


@dataclass
class AuditLine:
	at: datetime | str
	event: str
	actor: str
	detail: str = ""


@dataclass
class EnvelopeDocument:
	"""One document of an envelope as the certificate lists it (pages numbered within the envelope)."""

	title: str
	first_page: int
	page_count: int
	original_sha256: str
	signed_sha256: str


@dataclass
class CertificateInfo:
	title: str
	request_id: str
	original_sha256: str
	signed_sha256: str
	signers: list[SignerEvidence] = field(default_factory=list)
	audit: list[AuditLine] = field(default_factory=list)
	audit_head_hash: str = ""
	company: str = ""
	completed_at: datetime | str | None = None
	language: str = "en"
	# The certificate is printed once in each of these languages (the signers' own, in order); empty
	# means `language` alone.
	languages: list[str] = field(default_factory=list)
	time_zone: str = "UTC"  # IANA name; naive times are in this zone, every time is shown with its offset
	verify_url: str = ""  # the public verify page for this document: printed, and as a QR code on every page
	# SHA-256 of the seal certificate: a reader compares it with the one `crm-sign verify` prints.
	seal_fingerprint: str = ""
	# An envelope: every document in it (this certificate is attached to documents[document_number])
	# and the hash of the combined document the signers were shown.
	documents: list[EnvelopeDocument] = field(default_factory=list)
	document_number: int = 0
	envelope_sha256: str = ""


# ------------------------------------------------------------------------------------------ output


def labels_for(language: str | None) -> dict[str, str]:
	"""The label set for a language code such as "tr", "tr-TR" or "en" (English when unknown)."""
	code = (language or "en").strip().lower().replace("_", "-").split("-")[0]
	return LABELS.get(code, LABELS["en"])


def certificate_languages(info: CertificateInfo) -> list[str]:
	"""The label sets to print, as language codes: each signer's language once, in order."""
	codes: list[str] = []
	for language in info.languages or [info.language]:
		code = _language_code(language)
		if code not in codes:
			codes.append(code)
	return codes or ["en"]


def _language_code(language: str | None) -> str:
	code = (language or "en").strip().lower().replace("_", "-").split("-")[0]
	return code if code in LABELS else "en"


def build_certificate(info: CertificateInfo) -> bytes:
	"""Render the certificate as an A4 PDF: one section per language of the signers."""
	register_fonts()
	styles = _styles()
	zone = _zone(info.time_zone)
	story: list[Any] = []
	languages = certificate_languages(info)
	for number, code in enumerate(languages):
		if number:
			story.append(PageBreak())
		story.append(_Labels(LABELS[code]))
		story += _section(info, LABELS[code], styles, zone)
	t = LABELS[languages[0]]

	buf = BytesIO()
	doc = SimpleDocTemplate(
		buf,
		pagesize=A4,
		leftMargin=18 * mm,
		rightMargin=18 * mm,
		topMargin=22 * mm,
		bottomMargin=20 * mm,
		title=f"{t['title']} — {_plain(info.title)}",
		author=_plain(info.company) or "crm_sign",
		subject=_plain(info.request_id),
		invariant=1,
	)
	doc.build(story, canvasmaker=_numbered_canvas(info, t))
	return buf.getvalue()


def _section(
	info: CertificateInfo, t: dict[str, str], styles: dict[str, ParagraphStyle], zone: Any
) -> list[Any]:
	story: list[Any] = []
	story.append(Paragraph(_esc(t["title"]), styles["title"]))
	story.append(Paragraph(_esc(t["intro"]), styles["intro"]))
	story.append(Spacer(1, 5 * mm))

	summary = [
		(t["document"], _p(info.title, styles["value_bold"])),
		(t["request_id"], _p(info.request_id, styles["value"])),
	]
	if info.company:
		summary.append((t["company"], _p(info.company, styles["value"])))
	summary += [
		(
			t["status"],
			Paragraph(f'<font color="#1e7b45">{_esc(t["completed"])}</font>', styles["value_bold"]),
		),
		(t["completed_at"], _p(_fmt_time(info.completed_at, zone), styles["value"])),
		(
			t["time_zone"],
			_p(info.time_zone if zone.key != "UTC" or info.time_zone == "UTC" else "UTC", styles["value"]),
		),
		(t["signer_count"], _p(str(len(info.signers)), styles["value"])),
		(t["original_sha256"], _p(info.original_sha256, styles["hash"])),
		(t["signed_sha256"], _p(info.signed_sha256, styles["hash"])),
	]
	if info.envelope_sha256:
		summary.append((t["envelope_sha256"], _p(info.envelope_sha256, styles["hash"])))
	if info.audit_head_hash:
		summary.append((t["audit_head"], _p(info.audit_head_hash, styles["hash"])))
	if info.seal_fingerprint:
		summary.append((t["seal_fingerprint"], _p(info.seal_fingerprint, styles["hash"])))
	if info.verify_url:
		summary.append((t["verify_at"], _p(info.verify_url, styles["hash"])))
	story.append(_kv_table(summary, styles))
	story.append(Spacer(1, 7 * mm))
	if info.documents:
		story.append(Paragraph(_esc(t["envelope"]), styles["h2"]))
		story.append(_envelope_table(info, t, styles))
		story.append(Spacer(1, 7 * mm))

	story.append(Paragraph(_esc(t["signers"]), styles["h2"]))
	for signer in info.signers:
		story.append(KeepTogether([_signer_card(signer, t, styles, zone), Spacer(1, 4 * mm)]))
	story.append(Spacer(1, 3 * mm))

	story.append(Paragraph(_esc(t["audit"]), styles["h2"]))
	story.append(_audit_table(info.audit, t, styles, zone))
	story.append(Spacer(1, 6 * mm))
	story.append(Paragraph(_esc(t["footnote"]), styles["small"]))
	return story


def _styles() -> dict[str, ParagraphStyle]:
	base = ParagraphStyle("base", fontName=FONT_REGULAR, fontSize=9, leading=12, alignment=TA_LEFT)
	return {
		"title": ParagraphStyle("title", base, fontName=FONT_BOLD, fontSize=20, leading=25, textColor=NAVY),
		"intro": ParagraphStyle("intro", base, fontSize=9.5, leading=13, textColor=MUTED, spaceBefore=2),
		"h2": ParagraphStyle(
			"h2", base, fontName=FONT_BOLD, fontSize=12.5, leading=16, textColor=NAVY, spaceAfter=6
		),
		"label": ParagraphStyle("label", base, fontSize=8.5, leading=11, textColor=MUTED),
		"value": ParagraphStyle("value", base),
		"value_bold": ParagraphStyle("value_bold", base, fontName=FONT_BOLD),
		"hash": ParagraphStyle("hash", base, fontSize=8, leading=10.5, splitLongWords=1),
		"card": ParagraphStyle("card", base, fontSize=8.5, leading=11, splitLongWords=1),
		"cell": ParagraphStyle("cell", base, fontSize=8, leading=10.5, splitLongWords=1),
		"cell_head": ParagraphStyle(
			"cell_head", base, fontName=FONT_BOLD, fontSize=8, leading=10.5, textColor=colors.white
		),
		"badge": ParagraphStyle("badge", base, alignment=TA_RIGHT),
		"signer": ParagraphStyle(
			"signer", base, fontName=FONT_BOLD, fontSize=10.5, leading=14, textColor=NAVY
		),
		"small": ParagraphStyle("small", base, fontSize=7.5, leading=10, textColor=MUTED),
	}


def _plain(value: Any) -> str:
	return _CONTROL.sub(" ", "" if value is None else str(value)).strip()


def _esc(value: Any) -> str:
	"""User text made safe for Paragraph markup: control characters dropped, markup escaped."""
	return escape(" ".join(_plain(value).split()))


def _p(value: Any, style: ParagraphStyle) -> Paragraph:
	text = _esc(value)
	return Paragraph(text if text else "—", style)


def _zone(name: str | None) -> ZoneInfo:
	try:
		return ZoneInfo(name or "UTC")
	except (ZoneInfoNotFoundError, ValueError):
		return ZoneInfo("UTC")


def _fmt_time(value: datetime | str | None, zone: ZoneInfo | None = None) -> str:
	"""A time in `zone` with its UTC offset, e.g. "2026-12-01 13:05:09 UTC+03:00".

	A naive time (as Frappe stores them) is taken to be in `zone` already.
	"""
	zone = zone or ZoneInfo("UTC")
	if value is None or value == "":
		return "—"
	if isinstance(value, str):
		text = value.strip()
		try:
			value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
		except ValueError:
			return text
	value = value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
	minutes = int(value.utcoffset().total_seconds() // 60)
	sign = "+" if minutes >= 0 else "-"
	return value.strftime("%Y-%m-%d %H:%M:%S") + f" UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _kv_table(rows: list[tuple[str, Paragraph]], styles: dict[str, ParagraphStyle]) -> Table:
	data = [[Paragraph(_esc(label), styles["label"]), value] for label, value in rows]
	table = Table(data, colWidths=[48 * mm, None], hAlign="LEFT")
	table.setStyle(
		TableStyle(
			[
				("VALIGN", (0, 0), (-1, -1), "TOP"),
				("LINEBELOW", (0, 0), (-1, -2), 0.4, LINE),
				("BOX", (0, 0), (-1, -1), 0.6, LINE),
				("BACKGROUND", (0, 0), (0, -1), SHADE),
				("TOPPADDING", (0, 0), (-1, -1), 4),
				("BOTTOMPADDING", (0, 0), (-1, -1), 4),
				("LEFTPADDING", (0, 0), (-1, -1), 6),
			]
		)
	)
	return table


def _verified_by(signer: SignerEvidence, t: dict[str, str]) -> str:
	parts = []
	for key in (signer.verified_by or "").split("+"):
		key = key.strip().lower()
		if key == "login" and signer.account:
			parts.append(t["v_login_as"].format(account=_mask_contact(_plain(signer.account))))
		elif key:
			parts.append(t.get(f"v_{key}", key))
	return " + ".join(parts)


def _signer_card(
	signer: SignerEvidence, t: dict[str, str], styles: dict[str, ParagraphStyle], zone: ZoneInfo
) -> Table:
	status_key = f"s_{(signer.status or '').strip().lower()}"
	status = t.get(status_key, _plain(signer.status))
	color = "#1e7b45" if status_key == "s_signed" else "#a62b2b" if status_key == "s_declined" else "#5b6472"
	role = t.get(f"r_{(signer.role or '').strip().lower()}", signer.role)
	head = Paragraph(
		f'{_esc(_mask_contact(signer.name)) or "—"}<font name="{FONT_REGULAR}" size="9" color="#5b6472">'
		f"  ·  {_esc(role)}</font>",
		styles["signer"],
	)
	badge = Paragraph(f'<font color="{color}"><b>{_esc(status)}</b></font>', styles["badge"])
	# The name row spans the card; the label column below stays narrow.
	header = Table([[head, badge]], colWidths=[None, 32 * mm])
	header.setStyle(
		TableStyle(
			[
				("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
				("LEFTPADDING", (0, 0), (-1, -1), 0),
				("RIGHTPADDING", (0, 0), (-1, -1), 0),
				("TOPPADDING", (0, 0), (-1, -1), 0),
				("BOTTOMPADDING", (0, 0), (-1, -1), 0),
			]
		)
	)
	rows: list[list[Any]] = [[header, ""]]
	details = [
		(t["email"], mask_email(signer.email) if signer.email else None),
		(t["phone"], mask_phone(signer.phone) if signer.phone else None),
		(t["verified_by"], _verified_by(signer, t)),
		(t["signed_at"], _fmt_time(signer.signed_at, zone)),
		(t["ip"], signer.ip),
		(t["user_agent"], signer.user_agent),
	]
	for label, value in details:
		if value is None or value == "":
			continue
		rows.append([Paragraph(_esc(label), styles["label"]), _p(value, styles["card"])])
	table = Table(rows, colWidths=[40 * mm, None], hAlign="LEFT")
	table.setStyle(
		TableStyle(
			[
				("VALIGN", (0, 0), (-1, -1), "TOP"),
				("BACKGROUND", (0, 0), (-1, 0), SHADE),
				("LINEBELOW", (0, 0), (-1, 0), 0.6, LINE),
				("BOX", (0, 0), (-1, -1), 0.6, LINE),
				("TOPPADDING", (0, 0), (-1, -1), 3),
				("BOTTOMPADDING", (0, 0), (-1, -1), 3),
				("SPAN", (0, 0), (1, 0)),
				("TOPPADDING", (0, 0), (-1, 0), 6),
				("BOTTOMPADDING", (0, 0), (-1, 0), 6),
				("LEFTPADDING", (0, 0), (-1, -1), 6),
				("RIGHTPADDING", (0, 0), (-1, -1), 6),
			]
		)
	)
	return table


def _audit_table(
	lines: list[AuditLine], t: dict[str, str], styles: dict[str, ParagraphStyle], zone: ZoneInfo
) -> Any:
	if not lines:
		return Paragraph(_esc(t["no_events"]), styles["value"])
	head = [Paragraph(_esc(t[key]), styles["cell_head"]) for key in ("time", "event", "actor", "detail")]
	data = [head]
	for line in lines:
		data.append(
			[
				Paragraph(
					"<br/>".join(_esc(part) for part in _fmt_time(line.at, zone).split(" ", 1)),
					styles["cell"],
				),
				_p(t.get(f"e_{(line.event or '').strip().lower()}", line.event), styles["cell"]),
				_p(_mask_contact(line.actor), styles["cell"]),
				Paragraph(_esc(_mask_contacts_in(line.detail)), styles["cell"]),
			]
		)
	table = Table(data, colWidths=[33 * mm, 32 * mm, 40 * mm, None], repeatRows=1, hAlign="LEFT")
	style = [
		("VALIGN", (0, 0), (-1, -1), "TOP"),
		("BACKGROUND", (0, 0), (-1, 0), NAVY),
		("BOX", (0, 0), (-1, -1), 0.6, LINE),
		("LINEBELOW", (0, 1), (-1, -1), 0.3, LINE),
		("TOPPADDING", (0, 0), (-1, -1), 3),
		("BOTTOMPADDING", (0, 0), (-1, -1), 3),
		("LEFTPADDING", (0, 0), (-1, -1), 4),
		("RIGHTPADDING", (0, 0), (-1, -1), 4),
	]
	style += [("BACKGROUND", (0, row), (-1, row), SHADE) for row in range(2, len(data), 2)]
	table.setStyle(TableStyle(style))
	return table


def _envelope_table(info: CertificateInfo, t: dict[str, str], styles: dict[str, ParagraphStyle]) -> Table:
	head = [
		Paragraph(_esc(t[key]), styles["cell_head"])
		for key in ("document", "pages", "original_sha256", "signed_sha256")
	]
	data = [head]
	for number, document in enumerate(info.documents):
		last = document.first_page + document.page_count - 1
		pages = str(document.first_page) if last == document.first_page else f"{document.first_page}–{last}"
		title = f"{number + 1}. {_esc(document.title)}"
		if number == info.document_number:
			title = f"<b>{title}</b> ({_esc(t['this_file'])})"
		data.append(
			[
				Paragraph(title, styles["cell"]),
				Paragraph(_esc(pages), styles["cell"]),
				_p(document.original_sha256, styles["cell"]),
				_p(document.signed_sha256, styles["cell"]),
			]
		)
	table = Table(data, colWidths=[40 * mm, 16 * mm, None, None], repeatRows=1, hAlign="LEFT")
	table.setStyle(
		TableStyle(
			[
				("VALIGN", (0, 0), (-1, -1), "TOP"),
				("BACKGROUND", (0, 0), (-1, 0), NAVY),
				("BOX", (0, 0), (-1, -1), 0.6, LINE),
				("LINEBELOW", (0, 1), (-1, -1), 0.3, LINE),
				("BACKGROUND", (0, info.document_number + 1), (-1, info.document_number + 1), SHADE),
				("TOPPADDING", (0, 0), (-1, -1), 3),
				("BOTTOMPADDING", (0, 0), (-1, -1), 3),
				("LEFTPADDING", (0, 0), (-1, -1), 4),
				("RIGHTPADDING", (0, 0), (-1, -1), 4),
			]
		)
	)
	return table


class _Labels(Flowable):
	"""Takes no space; tells the canvas which language the pages from here on are in."""

	def __init__(self, labels: dict[str, str]):
		super().__init__()
		self.labels = labels

	def wrap(self, *_: Any) -> tuple[float, float]:
		return 0, 0

	def draw(self) -> None:
		self.canv.crm_labels = self.labels


def _numbered_canvas(info: CertificateInfo, t: dict[str, str]) -> type[Canvas]:
	"""A canvas class that draws the header and "Page X of Y" once the page count is known."""
	company = _plain(info.company)
	document = _plain(info.title)

	class NumberedCanvas(Canvas):
		def __init__(self, *args: Any, **kwargs: Any):
			super().__init__(*args, **kwargs)
			self._pages: list[dict[str, Any]] = []

		def showPage(self) -> None:
			self._pages.append(dict(self.__dict__))
			self._startPage()

		def save(self) -> None:
			total = len(self._pages)
			for number, state in enumerate(self._pages, start=1):
				self.__dict__.update(state)
				self._decorate(number, total)
				super().showPage()
			super().save()

		def _decorate(self, number: int, total: int) -> None:
			labels = getattr(self, "crm_labels", t)
			header = f"{_plain(labels['title'])} · {_plain(info.request_id)}"
			width, height = self._pagesize
			left, right = 18 * mm, width - 18 * mm
			self.saveState()
			self.setStrokeColor(NAVY)
			self.setLineWidth(1.2)
			self.line(left, height - 14 * mm, right, height - 14 * mm)
			self.setFont(FONT_REGULAR, 7.5)
			self.setFillColor(MUTED)
			self.drawString(left, height - 12 * mm, header[:120])
			if company:
				# Left of the QR code when there is one.
				self.drawRightString(
					right - (12 * mm if info.verify_url else 0), height - 12 * mm, company[:80]
				)
			self.setStrokeColor(LINE)
			self.setLineWidth(0.5)
			self.line(left, 13 * mm, right, 13 * mm)
			self.drawRightString(right, 9 * mm, labels["page"].format(page=number, pages=total))
			if info.verify_url:  # the same QR code as in the document's footer, above the header line
				draw_qr(self, info.verify_url, right - 10 * mm, height - 13 * mm, 10 * mm)
			self.drawString(left, 9 * mm, document if len(document) <= 90 else document[:89] + "…")
			self.restoreState()

	return NumberedCanvas
