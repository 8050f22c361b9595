"""The evidence checks itself: sealing refuses what differs from what was signed, final states stay
final, and record values cannot place fields."""

from __future__ import annotations

import io
from unittest.mock import patch

import frappe
from pypdf import PdfReader

try:
	from frappe.tests import IntegrationTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from crm_sign.engine.samples import sample_contract_pdf
from crm_sign.signing import files, finalize, requests
from crm_sign.signing.documents import render_template_pdf
from crm_sign.tests.fixtures import (
	ensure_outgoing_email_account,
	make_lead,
	make_template,
	sign_next,
	signature_data_url,
)


def certificate_text(pdf: bytes) -> str:
	reader = PdfReader(io.BytesIO(pdf))
	return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


class TestEvidence(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()

	def tearDown(self):
		frappe.set_user("Administrator")

	def make_request(self):
		uid = frappe.generate_hash(length=8)
		lead = make_lead(email=f"evidence.{uid}@example.com", mobile=None, last_name=f"Evidence {uid}")
		return requests.create_sign_request(lead, make_template("Lead"), channel="Email")

	def sign_all_but_seal(self, request):
		with patch.object(finalize, "enqueue_finalize"):
			while any(
				r.status in ("Pending", "Viewed")
				for r in frappe.get_doc("Sign Request", request.name).signers
			):
				sign_next(request)
		request.reload()
		self.assertEqual(request.status, "Partially Signed")
		return request

	def test_sealing_refuses_values_changed_after_signing(self):
		"""Finding 8.1: finalize trusted the rows; a value changed in the database got sealed."""
		request = self.sign_all_but_seal(self.make_request())
		signature = next(r for r in request.field_values if r.field_type == "Signature" and r.value)
		frappe.db.set_value("Sign Request Value", signature.name, "value", signature.value[:-8] + "AAAAAAA=")
		finalize.finalize_request(request.name)
		request.reload()
		self.assertEqual(request.status, "Partially Signed")
		self.assertIn("cannot be sealed", request.last_error)
		self.assertFalse(request.signed_pdf)

	def test_sealing_refuses_a_swapped_document(self):
		"""Finding 8.1: original_sha256 was recomputed from whatever file unsigned_pdf named."""
		request = self.sign_all_but_seal(self.make_request())
		frappe.db.set_value("Sign Request", request.name, "original_sha256", "0" * 64)
		finalize.finalize_request(request.name)
		request.reload()
		self.assertEqual(request.status, "Partially Signed")
		self.assertIn("does not match", request.last_error)

	def test_later_signers_see_and_seal_earlier_values(self):
		"""Finding 8.6: each signer saw only their own fields on the unsigned PDF."""
		request = self.make_request()  # the test template: counterparty first
		first = sign_next(request)
		request.reload()
		self.assertTrue(request.current_pdf)
		self.assertNotEqual(request.current_sha256, request.original_sha256)
		first_row = next(r for r in request.signers if r.name == first.name)
		self.assertEqual(first_row.document_sha256, request.original_sha256)
		second = sign_next(request)
		request.reload()
		second_row = next(r for r in request.signers if r.name == second.name)
		self.assertEqual(second_row.document_sha256, request.current_sha256)
		self.assertEqual(request.status, "Completed")
		# The certificate's original is the document as sent, not the one the last signer saw.
		certificate = certificate_text(files.signed_document(request))
		self.assertIn(f"Original document SHA-256{request.original_sha256}", certificate)
		self.assertNotIn(request.current_sha256, certificate)

	def test_a_submission_that_waited_for_the_lock_sees_the_first_signature(self):
		"""Finding 8.3: two simultaneous submissions both signed. The second one had read the request
		(and so taken its REPEATABLE READ snapshot) before the first committed; after the lock its
		reload still saw "Pending". Two real connections replay that order exactly."""
		request = self.make_request()  # the counterparty signs first
		frappe.db.commit()  # nosemgrep: the second connection must see the request
		with self.secondary_connection():
			stale = frappe.get_doc("Sign Request", request.name)  # its snapshot starts here
			stale_row = next(r for r in stale.signers if r.status == "Pending")
		with self.primary_connection():
			row = next(
				r for r in frappe.get_doc("Sign Request", request.name).signers if r.name == stale_row.name
			)
			requests.record_signature(request, row, {}, signature_data_url("First"))
			frappe.db.commit()  # nosemgrep: the first submission's request ends here
		with self.secondary_connection():
			with self.assertRaises(frappe.ValidationError) as second:
				requests.record_signature(stale, stale_row, {}, signature_data_url("Second"))
			self.assertIn("already signed", str(second.exception))
			frappe.db.rollback()
		signed = frappe.get_all("Sign Audit Event", {"sign_request": request.name, "event": "signed"})
		self.assertEqual(len(signed), 1)

	def test_expiry_and_cancel_never_undo_a_signed_request(self):
		"""Finding 8.8: the hourly expiry expired requests waiting for their seal; cancel overwrote
		Completed."""
		request = self.sign_all_but_seal(self.make_request())
		frappe.db.set_value("Sign Request", request.name, "expires_on", frappe.utils.add_days(None, -1))
		self.assertFalse(requests.expire_request(request))
		self.assertRaises(frappe.ValidationError, requests.cancel_request, request)
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Partially Signed")
		finalize.finalize_request(request.name)
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Completed")
		self.assertRaises(frappe.ValidationError, requests.cancel_request, request)
		self.assertFalse(requests.expire_request(request))
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Completed")

	def test_every_ending_anchors_the_audit_log(self):
		"""Finding 8.9: only a completed request anchored its chain; a declined one could lose entries."""
		from crm_sign.engine.errors import AuditChainError
		from crm_sign.signing.audit_log import chain_of, verify_request_chain

		request = self.make_request()
		row = next(r for r in frappe.get_doc("Sign Request", request.name).signers if r.status == "Pending")
		requests.decline(request, row, "Not this year")
		anchor = frappe.db.get_value("Sign Request", request.name, "audit_anchor_hash")
		self.assertEqual(anchor, chain_of(request.name)[-1].hash)
		self.assertEqual(verify_request_chain(request.name), anchor)
		last = frappe.get_all(
			"Sign Audit Event", {"sign_request": request.name}, pluck="name", order_by="seq desc"
		)[0]
		frappe.db.delete("Sign Audit Event", last)  # what only a database writer can do
		self.assertRaises(AuditChainError, verify_request_chain, request.name)

	def test_reminders_repeat_the_link_the_signer_has(self):
		"""Finding 13.5: reminders and SMS retries rotated the token, killing a link already open."""
		from crm_sign.automation import scheduler
		from crm_sign.signing.test_sign_requests import emailed_token

		request = self.make_request()
		row = next(r for r in frappe.get_doc("Sign Request", request.name).signers if r.status == "Pending")
		first = emailed_token(request.name, row.email)
		scheduler.remind(frappe.get_doc("Sign Request", request.name), row)
		self.assertEqual(len(frappe.get_all("Email Queue", {"reference_name": request.name})), 2)
		self.assertEqual(emailed_token(request.name, row.email), first)
		self.assertEqual(requests.find_signer_by_token(first)[1].name, row.name)

	def test_record_values_cannot_print_anchor_tags(self):
		"""Finding 8.10: a Lead whose text held {{sign:company}} moved the company's signature.
		The Print Format is rendered from a copy whose values cannot form a tag."""
		template = frappe.get_doc(
			{
				"doctype": "Sign Template",
				"template_name": f"Anchor Test {frappe.generate_hash(length=6)}",
				"reference_doctype": "Lead",
				"source_type": "Print Format",
				"print_format": "Standard",
				"fields": [
					{
						"field_label": "Client signature",
						"field_type": "Signature",
						"filled_by": "Counterparty",
						"anchor": "{{sign:client}}",
					}
				],
			}
		)
		lead = make_lead(
			email=f"anchor.{frappe.generate_hash(length=8)}@example.com",
			mobile=None,
			company_name="ACME {{sign:company}}",
		)
		printed = {}

		def fake_print(doctype, name, print_format=None, doc=None, **kwargs):
			printed["doc"] = doc
			return sample_contract_pdf(pages=1)

		with patch("frappe.get_print", side_effect=fake_print):
			render_template_pdf(template, lead)
		values = [
			value
			for row in (printed["doc"], *printed["doc"].get_all_children())
			for value in row.as_dict().values()
			if isinstance(value, str)
		]
		self.assertFalse([value for value in values if "{{" in value], "no value prints a tag")
		self.assertIn("ACME", printed["doc"].company_name)
		self.assertEqual(lead.company_name, "ACME {{sign:company}}", "the record itself is untouched")
