"""Finalize a fully signed request in a background job: stamp, certify, seal, store, send copies."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, get_datetime, get_system_timezone, now_datetime

from crm_sign.engine import finalize as engine_finalize
from crm_sign.engine.certificate import AuditLine, CertificateInfo, SignerEvidence
from crm_sign.engine.envelope import finalize_envelope
from crm_sign.engine.fields import Box, Field, FieldValue
from crm_sign.engine.images import load_image
from crm_sign.signing import events, files
from crm_sign.signing.audit_log import chain_of, log_event, verify_request_chain
from crm_sign.signing.documents import FIELD_TYPES, FILLED_BY
from crm_sign.signing.envelopes import envelope_parts
from crm_sign.signing.seal_certificate import site_seal_certificate
from crm_sign.signing.settings import allowed_timestamp_url
from crm_sign.signing.transactions import rollback_to
from crm_sign.signing.verification import verify_url
from crm_sign.signing.work_queue import WorkQueue

MAX_FINALIZE_ATTEMPTS = 5


# Sealing is worked off by drain jobs (signing/work_queue.py): a forked job per seal paid about 1 s of
# imports and a cold signer before its 0.3 s of work. It runs niced: during a burst of signatures the
# signers' requests come first, and the seals follow a moment later.
SEALING = WorkQueue("finalize", "crm_sign.signing.finalize.drain", job_queue="long", nice=10)


def enqueue_finalize(request_name: str) -> None:
	"""Seal the request once this transaction commits (inline in tests, which never commit)."""
	if frappe.flags.in_test:
		finalize_request(request_name)
	else:
		SEALING.queue({"request_name": request_name})


def drain(slot: int) -> int:
	"""Background job: seal the queued requests (each is idempotent, so a repeat is harmless)."""
	return SEALING.drain(slot, lambda item: finalize_request(item["request_name"]), _log_drain_failure)


def start_drains() -> None:
	"""Scheduler: requests a dead drain left waiting."""
	SEALING.start_drains()


def _log_drain_failure(item: dict) -> None:
	name = item.get("request_name")
	frappe.log_error(
		title=f"crm_sign: finalizing {name} failed", reference_doctype="Sign Request", reference_name=name
	)


def finalize_request(request_name: str) -> None:
	"""Idempotent: a request that is already Completed is left alone; a failure is recorded for the sweep."""
	from crm_sign.signing.requests import all_signed, locked_request

	request = locked_request(request_name)
	if request.status != "Partially Signed" or not all_signed(request):
		return
	previous_user = frappe.session.user
	frappe.set_user(request.owner)  # the job may have been started by a guest's signature
	frappe.db.savepoint("crm_sign_finalize")
	try:
		_store_and_announce(request, _seal(request))
	except Exception as e:
		# Undo this attempt only (not the caller's transaction), then record it for the sweep.
		rollback_to("crm_sign_finalize")
		request = frappe.get_doc("Sign Request", request_name)
		request.db_set(
			{
				"finalize_attempts": cint(request.finalize_attempts) + 1,
				"last_error": _("Sealing failed: {0}").format(str(e))[:1000],
			}
		)
		frappe.log_error(
			title=f"crm_sign: finalizing {request_name} failed",
			reference_doctype="Sign Request",
			reference_name=request_name,
		)
	finally:
		frappe.set_user(previous_user)


def _seal(request) -> list[engine_finalize.FinalizeResult]:
	"""The sealed file, or one per document of an envelope (in the envelope's order)."""

	chain = chain_of(request.name)
	# Prefilled values are in the document that was sent, and each earlier signer's values in the
	# document the next signer saw; stamp what the last signers added.
	sent, document = check_evidence(request, chain)
	stamped = {row.name for row in request.signers if row.get("values_stamped")}
	values = [
		field_value(row)
		for row in request.field_values
		if row.filled_by != "Prefilled" and row.signer_row not in stamped and row.value not in (None, "")
	]
	info = CertificateInfo(
		title=request.title or request.name,
		request_id=request.name,
		original_sha256=request.original_sha256,
		signed_sha256="",
		company=frappe.defaults.get_global_default("company") or "",
		completed_at=now_datetime(),
		language=request.language or "en",
		# Printed once in each signer's page language; stored times are in the site's zone.
		languages=[row.language for row in request.signers if row.status == "Signed" and row.get("language")],
		time_zone=get_system_timezone(),
		verify_url=verify_url(request.verify_code) if request.get("verify_code") else "",
		audit_head_hash=verify_request_chain(request.name, chain),
		signers=[_evidence(request, row) for row in request.signers if row.status == "Signed"],
		audit=[AuditLine(at=e.at, event=e.event, actor=e.actor) for e in chain],
	)
	options = {
		"reason": _("Signed electronically with crm_sign"),
		"location": frappe.utils.get_url(),
		"timestamp_url": allowed_timestamp_url(),
	}
	# The certificate's "original" is the document as sent, not the one the last signer saw.
	parts = envelope_parts(request)
	if parts:
		return finalize_envelope(
			document, values, info, parts, site_seal_certificate(), sent=sent, **options
		).parts
	return [engine_finalize.finalize(document, values, info, site_seal_certificate(), sent=sent, **options)]


def check_evidence(request, chain: list) -> tuple[bytes, bytes]:
	"""Refuse to seal unless the stored documents and values are exactly what the signers signed;
	returns the document as sent and the current one, both checked.

	Replays the "signed" events of `chain`: each signer must have been shown the document that was
	current then (the original, or the one with earlier signers' values stamped in), and the values
	stored now must hash to what the event recorded."""
	from crm_sign.signing.requests import signer_values, values_digest

	sent = files.unsigned_document(request)  # raises when it does not hash to original_sha256
	current = request.original_sha256
	signed_events = [entry for entry in chain if entry.event == "signed"]
	rows = {row.name: row for row in request.signers}
	for entry in signed_events:
		row = rows.get(entry.data.get("signer"))
		if row is None or entry.document_sha256 != current or row.document_sha256 != current:
			_evidence_mismatch(
				request,
				_("the document {0} signed is not the one on record").format(row.signer_name if row else "?"),
			)
		digest = values_digest(signer_values(request, row))
		if digest != entry.data.get("values_sha256") or digest != row.values_sha256:
			_evidence_mismatch(request, _("the values of {0} changed after signing").format(row.signer_name))
		current = entry.data.get("next_document_sha256") or current
	if current != (request.get("current_sha256") or request.original_sha256):
		_evidence_mismatch(request, _("the document shown to the last signer is not the one on record"))
	signed = [row for row in request.signers if row.status == "Signed"]
	if len(signed) != len(signed_events):
		_evidence_mismatch(request, _("the signatures on record do not match the audit log"))
	# current_document raises when its bytes no longer hash to current_sha256
	document = files.current_document(request) if request.get("current_pdf") else sent
	return sent, document


def _evidence_mismatch(request, reason: str) -> None:
	from crm_sign.signing.files import EvidenceMismatchError

	frappe.throw(
		_("Sign Request {0} cannot be sealed: {1}.").format(request.name, reason), EvidenceMismatchError
	)


def field_value(row) -> FieldValue:
	field = Field(
		name=row.field_name,
		type=FIELD_TYPES.get(row.field_type),
		role=FILLED_BY.get(row.filled_by),
		page=(row.page or 1) - 1,
		box=Box(row.pos_x or 0, row.pos_y or 0, row.width, row.height),
		font_size=row.font_size or 10,
		required=bool(row.required),
		label=row.field_label,
	)
	value = row.value
	if field.type.is_image:
		value = load_image(value).data
	elif field.type.value == "checkbox":
		value = value == "1"
	return FieldValue(field, value)


def _evidence(request, row) -> SignerEvidence:
	# Company rows can only sign in their user's desk session (signer_session.require_signer_identity).
	# The engine words these in each certificate language (certificate.LABELS).
	verified = "login" if row.signer_role == "Company" else "link"
	if row.otp_verified:
		verified += {"Email": "+email_otp", "SMS": "+sms_otp"}.get(request.otp_method, "+otp")
	return SignerEvidence(
		name=row.signer_name or "",
		role=row.get("role_label") or row.signer_role or "",
		account=row.user or "",
		language=row.get("language") or "",
		email=row.email,
		phone=row.mobile,
		ip=row.ip_address,
		user_agent=row.user_agent,
		signed_at=get_datetime(row.signed_on) if row.signed_on else None,
		verified_by=verified,
	)


def _store_and_announce(request, results: list[engine_finalize.FinalizeResult]) -> None:
	"""Attach each sealed file to the request and to the CRM record; the request's own fields name the
	first (an envelope's documents each have theirs on their row)."""
	from crm_sign.signing.requests import save_private_file, set_row

	rows = request.get("documents") or []
	sealed_files = []
	for number, result in enumerate(results):
		suffix = f"-{number + 1}" if rows else ""
		file_name = f"{request.name}{suffix}-signed.pdf"
		file = save_private_file(request, file_name, result.pdf, "signed_pdf")
		save_private_file(
			request, file_name, result.pdf, doctype=request.reference_doctype, name=request.reference_name
		)
		sealed_files.append(file)
		if rows:
			set_row(
				rows[number],
				{
					"signed_pdf": file.file_url,
					"original_sha256": result.original_sha256,
					"signed_sha256": result.signed_sha256,
					"final_sha256": result.sealed_sha256,
				},
			)
	first = results[0]
	request.db_set(
		{
			"signed_pdf": sealed_files[0].file_url,
			"signed_sha256": first.signed_sha256,
			"final_sha256": first.sealed_sha256,
			"status": "Completed",
			"completed_on": now_datetime(),
			"last_error": "",
		}
	)
	sealed = {"sha256": first.sealed_sha256}
	if rows:
		sealed["documents"] = [result.sealed_sha256 for result in results]
	log_event(request, "sealed", actor="system", data=sealed, document_sha256=first.sealed_sha256)
	log_event(request, "completed", actor="system", document_sha256=first.sealed_sha256)
	_email_copies(request, sealed_files)
	events.publish(request, "completed", None)


def _email_copies(request, sealed_files: list) -> None:
	recipients = sorted({row.email for row in request.signers if row.email})
	if not recipients:
		return
	frappe.sendmail(
		recipients=recipients,
		subject=_("Signed: {0}").format(request.title),
		message=(
			_(
				"<p>Everyone has signed {0}. The sealed documents, each with its certificate of completion, are attached.</p>"
			)
			if len(sealed_files) > 1
			else _(
				"<p>Everyone has signed {0}. The sealed PDF with its certificate of completion is attached.</p>"
			)
		).format(frappe.utils.escape_html(request.title)),
		attachments=[{"fid": file.name} for file in sealed_files],
		reference_doctype="Sign Request",
		reference_name=request.name,
	)


def sweep_stuck_requests() -> None:
	"""Scheduler: retry requests that have every signature but no sealed file (a failed or lost job)."""
	from crm_sign.signing.requests import all_signed

	stale = add_to_date(now_datetime(), minutes=-10)
	names = frappe.get_all(
		"Sign Request",
		filters={
			"status": "Partially Signed",
			"modified": ("<", stale),
			"finalize_attempts": ("<", MAX_FINALIZE_ATTEMPTS),
		},
		pluck="name",
	)
	for name in names:
		if all_signed(frappe.get_doc("Sign Request", name)):
			enqueue_finalize(name)
