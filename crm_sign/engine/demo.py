"""The bench-free demo: the whole flow of a two-party contract on sample data."""

from __future__ import annotations

import datetime as dt

from .anchors import find_anchors, place_anchored_fields
from .audit import AuditEntry, append_event, verify_chain
from .certificate import AuditLine, CertificateInfo, SignerEvidence
from .fieldmap import FieldMapContext, FormatSettings, resolve_fields
from .fields import Field, FieldType, FieldValue, FillerRole
from .finalize import FinalizeResult, finalize
from .images import load_image
from .pdf import sha256_hex
from .samples import sample_contract_pdf, sample_fields, sample_record, sample_signature_png
from .seal import generate_self_signed

REQUEST_ID = "SIGN-DEMO-00001"
# The demo has no site secret to key its audit chain with; sample data needs no real one.
DEMO_AUDIT_KEY = b"crm_sign demo audit key, not a secret"


def demo_fields(document: bytes) -> tuple[list[Field], list]:
	"""The sample contract's fields: prefilled boxes on page 1, signer fields on the anchor tags."""
	fields = sample_fields()
	for field in fields:
		if field.name == "contract_amount":
			field.format = "money:TRY"
	hits = find_anchors(document)
	return place_anchored_fields(fields, hits), hits


def build_demo(language: str = "tr") -> FinalizeResult:
	record = sample_record()
	document = sample_contract_pdf(pages=2, with_anchors=True)
	fields, hits = demo_fields(document)
	context = FieldMapContext(
		record, formats=FormatSettings(date_format="dd.mm.yyyy", number_format="#.###,##", currency="TRY")
	)
	values = resolve_fields(fields, context)

	signers = {
		FillerRole.COMPANY: ("Deniz Kaya", record.get("owner", "deniz@example.com"), "+905321112233"),
		FillerRole.COUNTERPARTY: (
			record["customer"]["contact_person"],
			record["customer"]["email_id"],
			record["customer"]["mobile_no"],
		),
	}
	now = dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.timezone.utc)
	for field in fields:
		if field.role == FillerRole.PREFILLED:
			continue
		name, _, _ = signers[field.role]
		if field.type.is_image:
			value = load_image(sample_signature_png(name)).data
		elif field.type == FieldType.DATE:
			value = now.strftime("%d.%m.%Y")
		else:
			value = name
		values.append(FieldValue(field, value))

	document_sha = sha256_hex(document)
	chain: list[AuditEntry] = []
	steps = [
		("created", "deniz@example.com", 0),
		("sent", "deniz@example.com", 1),
		("signed", "deniz@example.com", 2),
		("viewed", signers[FillerRole.COUNTERPARTY][1], 30),
		("code_verified", signers[FillerRole.COUNTERPARTY][1], 31),
		("signed", signers[FillerRole.COUNTERPARTY][1], 33),
		("completed", "system", 34),
	]
	for event, actor, minutes in steps:
		chain.append(
			append_event(
				chain[-1] if chain else None,
				key=DEMO_AUDIT_KEY,
				chain_id=REQUEST_ID,
				event=event,
				at=(now + dt.timedelta(minutes=minutes)).isoformat(),
				actor=actor,
				ip="203.0.113.7" if actor != "system" else "",
				document_sha256=document_sha,
			)
		)
	head = verify_chain(chain, REQUEST_ID, key=DEMO_AUDIT_KEY)

	info = CertificateInfo(
		title="Hizmet Sözleşmesi / Service Agreement",
		request_id=REQUEST_ID,
		original_sha256=document_sha,
		signed_sha256="",
		company="Örnek Yazılım Ticaret A.Ş.",
		completed_at=now + dt.timedelta(minutes=34),
		language=language,
		time_zone="Europe/Istanbul",
		audit_head_hash=head,
		signers=[
			SignerEvidence(
				name=signers[FillerRole.COMPANY][0],
				role="company",
				email=signers[FillerRole.COMPANY][1],
				phone=signers[FillerRole.COMPANY][2],
				ip="198.51.100.20",
				user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0",
				signed_at=now + dt.timedelta(minutes=2),
				verified_by="login",
				account=signers[FillerRole.COMPANY][1],
			),
			SignerEvidence(
				name=signers[FillerRole.COUNTERPARTY][0],
				role="counterparty",
				email=signers[FillerRole.COUNTERPARTY][1],
				phone=signers[FillerRole.COUNTERPARTY][2],
				ip="203.0.113.7",
				user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1",
				signed_at=now + dt.timedelta(minutes=33),
				verified_by="link+sms_otp",
			),
		],
		audit=[AuditLine(at=e.at, event=e.event, actor=e.actor) for e in chain],
	)
	seal = generate_self_signed("Örnek Yazılım e-Seal", "Örnek Yazılım Ticaret A.Ş.", country="TR")
	return finalize(document, values, info, seal, hide=hits, location="İstanbul")
