"""The public verify service (/sign/verify) and the verification footer, on a real site."""

from __future__ import annotations

import frappe

try:
	from frappe.tests import IntegrationTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from crm_sign.engine.pdf import read_pdf
from crm_sign.engine.samples import many_pages_pdf
from crm_sign.engine.seal import generate_self_signed, seal_pdf
from crm_sign.signing import files, requests
from crm_sign.signing.client import TooManyRequestsError
from crm_sign.signing.verification import (
	CHECKS_PER_IP,
	check_rate,
	verdict_for_code,
	verdict_for_file,
	verify_url,
)
from crm_sign.tests.fixtures import ensure_outgoing_email_account, make_lead, make_template, sign_everyone


class TestVerification(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()
		uid = frappe.generate_hash(length=8)
		lead = make_lead(email=f"verify.{uid}@example.com", last_name=f"Verify {uid}")
		cls.request = requests.create_sign_request(lead, make_template("Lead"), channel="Email")
		sign_everyone(cls.request)
		cls.request.reload()
		cls.sealed = files.signed_document(cls.request)

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		super().tearDownClass()

	def test_every_page_carries_the_footer_with_a_code_and_nothing_personal(self):
		code = self.request.verify_code
		self.assertRegex(code, r"^[2-9A-Z]{12}$")
		url = verify_url(code)
		self.assertTrue(url.endswith(f"/sign/verify?c={code}"))
		pages = [page.extract_text().replace("\n", "") for page in read_pdf(self.sealed).pages]
		document_pages = len(read_pdf(files.unsigned_document(self.request)).pages)
		self.assertTrue(all(url in text for text in pages[:document_pages]), "every page of the document")
		self.assertIn(url, pages[document_pages], "and the certificate")
		# The code is random: nothing of the record or the signer in it.
		self.assertNotIn(self.request.reference_name, url)

	def test_the_sealed_file_is_valid_and_named(self):
		verdict = verdict_for_file(self.sealed)
		self.assertEqual(verdict["state"], "valid")
		self.assertTrue(verdict["by_this_site"] and verdict["intact"] and verdict["whole_file"])
		self.assertEqual(verdict["request"]["name"], self.request.name)
		self.assertEqual(verdict["request"]["title"], self.request.title)
		self.assertEqual(len(verdict["request"]["signers"]), 2)

	def test_one_changed_byte_is_not_valid_and_names_nothing(self):
		changed = bytearray(self.sealed)
		changed[len(changed) // 3] ^= 0x01
		verdict = verdict_for_file(bytes(changed))
		self.assertNotEqual(verdict["state"], "valid")
		self.assertNotIn("request", verdict)

	def test_a_pdf_from_elsewhere(self):
		self.assertEqual(verdict_for_file(many_pages_pdf(1))["state"], "unsealed")
		other = seal_pdf(many_pages_pdf(1), generate_self_signed("Another company"))
		verdict = verdict_for_file(other)
		self.assertEqual(verdict["state"], "other_site")
		self.assertFalse(verdict["by_this_site"])
		self.assertNotIn("request", verdict)

	def test_the_code_opens_the_same_verdict(self):
		verdict = verdict_for_code(self.request.verify_code.lower())
		self.assertEqual(verdict["state"], "valid")
		self.assertEqual(verdict["request"]["name"], self.request.name)
		self.assertEqual(verdict_for_code("ZZZZZZZZZZZZ"), {"state": "unknown"})
		self.assertEqual(verdict_for_code(""), {"state": "unknown"})

	def test_guessing_codes_is_rate_limited_per_address(self):
		frappe.local.request_ip = f"198.51.100.{frappe.generate_hash(length=4)}"  # an address of its own
		try:
			for _ in range(CHECKS_PER_IP):
				check_rate()
			with self.assertRaises(TooManyRequestsError):
				check_rate()
		finally:
			frappe.local.request_ip = None
