"""Issue 9 on a real site: a customer's PDF is refused when it is uploaded, with a translated reason,
rather than after someone has signed it; every refusal the engine knows has its translated sentence."""

from __future__ import annotations

import io

import frappe

try:
	from frappe.tests import IntegrationTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from crm_sign.engine.errors import InvalidPDFError
from crm_sign.engine.pdf import PDF_PROBLEMS
from crm_sign.engine.samples import many_pages_pdf
from crm_sign.engine.seal import generate_self_signed
from crm_sign.signing.documents import pdf_problem
from crm_sign.tests.fixtures import make_template


def certified_no_changes() -> bytes:
	"""A PDF certified by its author with DocMDP permission 1: no change of any kind allowed."""
	from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
	from pyhanko.sign import fields, signers

	from crm_sign.engine.seal import _signer

	author = generate_self_signed("Author")
	meta = signers.PdfSignatureMetadata(
		field_name="Certification", certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES
	)
	writer = IncrementalPdfFileWriter(io.BytesIO(many_pages_pdf(1)), strict=False)
	return signers.PdfSigner(meta, signer=_signer(author.p12, author.password)).sign_pdf(writer).getvalue()


def private_file(name: str, content: bytes) -> str:
	return (
		frappe.get_doc({"doctype": "File", "file_name": name, "content": content, "is_private": 1})
		.insert(ignore_permissions=True)
		.file_url
	)


class TestCustomerPDFs(IntegrationTestCase):
	def tearDown(self):
		frappe.local.lang = "en"
		frappe.db.rollback()

	def test_every_engine_refusal_has_its_translated_sentence(self):
		fallback = pdf_problem(InvalidPDFError("x", code="no such code"))
		for code, english in PDF_PROBLEMS.items():
			frappe.local.lang = "en"
			self.assertEqual(pdf_problem(InvalidPDFError("x", code=code)), english, code)
			frappe.local.lang = "tr"
			turkish = pdf_problem(InvalidPDFError("x", code=code))
			self.assertNotEqual(turkish, english, code)
			self.assertNotEqual(turkish, fallback, code)

	def test_a_template_refuses_a_pdf_that_allows_no_changes_when_it_is_saved(self):
		url = private_file("certified-no-changes.pdf", certified_no_changes())
		with self.assertRaises(frappe.ValidationError) as caught:
			make_template("Lead", "Certified contract", pdf_file=url)
		self.assertIn("allows no changes", str(caught.exception))

	def test_a_template_refuses_an_encrypted_pdf_with_a_clear_reason(self):
		from pypdf import PdfReader, PdfWriter

		writer = PdfWriter()
		writer.append(PdfReader(io.BytesIO(many_pages_pdf(1))))
		writer.encrypt(user_password="secret", owner_password="owner")
		out = io.BytesIO()
		writer.write(out)
		url = private_file("encrypted-contract.pdf", out.getvalue())
		with self.assertRaises(frappe.ValidationError) as caught:
			make_template("Lead", "Encrypted contract", pdf_file=url)
		self.assertIn("password-protected", str(caught.exception))
		self.assertNotIn("Error", str(caught.exception))
