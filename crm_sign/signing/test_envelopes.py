"""Envelopes: a template, a second template and an uploaded PDF signed in one visit, each sealed."""

import io

import frappe
from pypdf import PdfReader

from crm_sign.api import desk
from crm_sign.engine.samples import many_pages_pdf
from crm_sign.engine.seal import certificate_pem, verify_pdf
from crm_sign.signing import files, signer_session, verification
from crm_sign.signing.seal_certificate import site_seal_certificate
from crm_sign.signing.signers import fields_of
from crm_sign.signing.timeline import sign_request_timeline
from crm_sign.tests.fixtures import (
	SignTestCase,
	make_lead,
	make_template,
	make_user,
	sign_everyone,
	unique_email,
)

NDA_FIELDS = [
	{
		"field_label": "NDA signature",
		"field_type": "Signature",
		"filled_by": "Counterparty",
		"page": 1,
		"pos_x": 0.1,
		"pos_y": 0.7,
		"width": 0.3,
		"height": 0.06,
		"font_size": 10,
		"required": 1,
	},
]


def private_pdf(name: str, content: bytes, owner: str | None = None) -> str:
	file = frappe.get_doc({"doctype": "File", "file_name": name, "content": content, "is_private": 1})
	file.insert(ignore_permissions=True)
	if owner:
		frappe.db.set_value("File", file.name, "owner", owner)
	return file.file_url


def nda_template(name: str = "Envelope NDA (Lead)", **overrides) -> str:
	if not frappe.db.exists("Sign Template", name):
		frappe.get_doc(
			{
				"doctype": "Sign Template",
				"template_name": name,
				"reference_doctype": "Lead",
				"source_type": "Uploaded PDF",
				"pdf_file": private_pdf("crm-sign-envelope-nda.pdf", many_pages_pdf(1)),
				"fields": NDA_FIELDS,
				**overrides,
			}
		).insert(ignore_permissions=True)
	return name


class TestEnvelopes(SignTestCase):
	def setUp(self):
		super().setUp()
		self.contract = make_template("Lead")
		self.nda = nda_template()
		self.price_list = private_pdf("Price list 2027.pdf", many_pages_pdf(2))

	def send_envelope(self, lead, documents=None) -> "frappe.model.document.Document":
		documents = documents or [{"template": self.nda}, {"file_url": self.price_list}]
		sent = desk.send("Lead", lead.name, self.contract, documents=documents)
		return frappe.get_doc("Sign Request", sent["name"])

	def test_three_documents_are_signed_in_one_visit_and_each_is_sealed_on_its_own(self):
		lead = make_lead(email=unique_email("envelope"))
		request = self.send_envelope(lead)
		rows = request.documents
		self.assertEqual(
			[r.document_title for r in rows], ["Test Contract Lead", self.nda, "Price list 2027"]
		)
		self.assertEqual([(r.first_page, r.page_count) for r in rows], [(1, 2), (3, 1), (4, 2)])
		self.assertEqual(len(PdfReader(io.BytesIO(files.unsigned_document(request))).pages), 5)
		# One link for the client, whose guided flow holds the fields of every document.
		client = next(r for r in request.signers if r.signer_role == "Counterparty")
		client_fields = {f.field_label: f.page for f in fields_of(request, client)}
		self.assertEqual(client_fields["NDA signature"], 3)  # page 1 of the NDA, page 3 of the envelope
		self.assertIn("Client signature", client_fields)
		data = signer_session.page_data(request, client)
		self.assertEqual([d["first_page"] for d in data["documents"]], [1, 3, 4])

		request = sign_everyone(request)
		request.reload()
		self.assertEqual(request.status, "Completed", request.last_error)
		trust = certificate_pem(site_seal_certificate())
		sealed = files.signed_documents(request)
		self.assertEqual(len(sealed), 3)
		for row, content, pages in zip(request.documents, sealed, (2, 1, 2), strict=True):
			self.assertTrue(verify_pdf(content, trust).ok, row.document_title)
			self.assertEqual(frappe.utils.cstr(row.final_sha256), verification.sha256_hex(content))
			reader = PdfReader(io.BytesIO(content))
			self.assertGreater(len(reader.pages), pages)  # its own pages, then the certificate
			certificate = "".join(page.extract_text() for page in reader.pages[pages:]).replace("\n", "")
			for other in request.documents:
				self.assertIn(other.document_title, certificate)
				self.assertIn(other.final_sha256 and other.signed_sha256[:20], certificate)
			self.assertIn(request.original_sha256[:20], certificate)
		self.assertEqual(request.signed_pdf, request.documents[0].signed_pdf)

		# All attached to the Lead, and each one is recognised by the verify page with its envelope.
		on_lead = frappe.get_all(
			"File",
			filters={"attached_to_doctype": "Lead", "attached_to_name": lead.name},
			pluck="file_name",
		)
		self.assertEqual(
			sorted(on_lead), sorted(f"{request.name}-{n}-signed.pdf" for n in (1, 2, 3)), on_lead
		)
		verdict = verification.verdict_for_file(sealed[1])
		self.assertEqual(verdict["state"], "valid")
		self.assertEqual(verdict["request"]["name"], request.name)
		self.assertEqual(
			[(d["title"], d["this_file"]) for d in verdict["request"]["documents"]],
			[("Test Contract Lead", False), (self.nda, True), ("Price list 2027", False)],
		)
		self.assertEqual(verification.verdict_for_code(request.verify_code)["state"], "valid")

		# The client's link serves each sealed document; the timeline offers each.
		content, name = signer_session.document_bytes(request, client, part=3)
		self.assertEqual(content, sealed[2])
		self.assertTrue(name.endswith("-3-signed.pdf"))
		card = sign_request_timeline("Lead", lead.name)[0]["content"]
		for row in request.documents:
			self.assertIn(frappe.utils.escape_html(row.signed_pdf), card)
		mail = frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Sign Request", "reference_name": request.name},
			fields=["attachments"],
			order_by="creation desc",
			limit=1,
		)[0]
		self.assertEqual(frappe.parse_json(mail.attachments).__len__(), 3)

	def test_a_changed_document_of_the_envelope_is_not_recognised(self):
		lead = make_lead(email=unique_email("envelope.changed"))
		request = sign_everyone(self.send_envelope(lead, [{"template": self.nda}]))
		request.reload()
		changed = bytearray(files.signed_documents(request)[1])
		changed[len(changed) // 2] ^= 0x01
		verdict = verification.verdict_for_file(bytes(changed))
		self.assertNotEqual(verdict["state"], "valid")
		self.assertNotIn("request", verdict)

	def test_what_cannot_join_an_envelope_is_refused_and_nothing_is_made(self):
		lead = make_lead(email=unique_email("envelope.refused"))
		before = frappe.db.count("Sign Request")
		opportunity_template = make_template("Opportunity")
		sealed = files.signed_documents(sign_everyone(self.send_envelope(lead, [{"template": self.nda}])))[0]
		made = frappe.db.count("Sign Request")
		self.assertEqual(made, before + 1)
		signed_pdf = private_pdf("Signed elsewhere.pdf", sealed)
		witness = nda_template(
			"Envelope NDA with a witness (Lead)",
			roles=[{"signer_role": "Counterparty", "label": "Witness", "signing_step": 1}],
			fields=[{**NDA_FIELDS[0], "signer_label": "Witness"}],
		)
		cases = {
			"same template twice": [{"template": self.nda}, {"template": self.nda}],
			"the sent template again": [{"template": self.contract}],
			"another doctype's template": [{"template": opportunity_template}],
			"a signed PDF": [{"file_url": signed_pdf}],
			"a signer the request lacks": [{"template": witness}],
			"neither template nor file": [{"title": "x"}],
		}
		for case, documents in cases.items():
			with self.subTest(case), self.assertRaises(frappe.ValidationError):
				self.send_envelope(lead, documents)
		self.assertEqual(frappe.db.count("Sign Request"), made)

	def test_a_file_the_sender_may_not_read_cannot_be_put_into_an_envelope(self):
		lead = make_lead(email=unique_email("envelope.perm"))
		seller = make_user("envelope.seller@example.com", ["Sign User", "Sales User"])
		secret = private_pdf("Board minutes.pdf", many_pages_pdf(1), owner="Administrator")
		with self.set_user(seller), self.assertRaises(frappe.PermissionError):
			self.send_envelope(lead, [{"file_url": secret}])
		own = private_pdf("Seller price list.pdf", many_pages_pdf(1), owner=seller)
		with self.set_user(seller):
			request = self.send_envelope(lead, [{"file_url": own}])
		self.assertEqual([r.document_title for r in request.documents][-1], "Seller price list")
