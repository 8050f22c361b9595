"""Several signers and CC: roles with labels and order numbers, people proposed from the record,
parallel counterparties, the company last, a CC who reads and signs nothing."""

import io

import frappe
from pypdf import PdfReader

from crm_sign.api import desk
from crm_sign.signing import files, requests, signer_session
from crm_sign.signing.signers import fields_of
from crm_sign.signing.timeline import signing_progress
from crm_sign.tests.fixtures import (
	SignTestCase,
	contract_file,
	make_lead,
	make_opportunity,
	make_user,
	signature_data_url,
	unique_email,
)

ROLES = [
	{"signer_role": "Counterparty", "label": "Client", "signing_step": 1},
	{"signer_role": "Counterparty", "label": "Client 2", "signing_step": 1},
	{"signer_role": "Company", "label": "Company", "signing_step": 2},
	{"signer_role": "CC", "label": "Lawyer"},
]
FIELDS = [
	{
		"field_label": "Client signature",
		"field_type": "Signature",
		"filled_by": "Counterparty",
		"anchor": "{{sign:client}}",
		"page": 1,
		"font_size": 10,
		"required": 1,
	},
	{
		"field_label": "Second client signature",
		"field_type": "Signature",
		"filled_by": "Counterparty",
		"signer_label": "Client 2",
		"page": 1,
		"pos_x": 0.55,
		"pos_y": 0.62,
		"width": 0.3,
		"height": 0.05,
		"font_size": 10,
		"required": 1,
	},
	{
		"field_label": "Provider signature",
		"field_type": "Signature",
		"filled_by": "Company",
		"anchor": "{{sign:company}}",
		"page": 1,
		"font_size": 10,
		"required": 1,
	},
]


def three_signer_template() -> str:
	name = "Three Signers and CC"
	if not frappe.db.exists("Sign Template", name):
		frappe.get_doc(
			{
				"doctype": "Sign Template",
				"template_name": name,
				"reference_doctype": "Opportunity",
				"source_type": "Uploaded PDF",
				"pdf_file": contract_file(),
				"roles": ROLES,
				"fields": FIELDS,
			}
		).insert(ignore_permissions=True)
	return name


def contact_for(lead, email: str, first_name: str):
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": first_name,
			"links": [{"link_doctype": "Lead", "link_name": lead.name}],
		}
	)
	contact.add_email(email, is_primary=1)
	return contact.insert(ignore_permissions=True)


class TestSeveralSigners(SignTestCase):
	def make_deal(self):
		lead = make_lead(email=unique_email("director.one"), first_name="Director One")
		partner = contact_for(lead, unique_email("director.two"), "Director Two")
		return lead, partner, make_opportunity(lead)

	def test_people_are_proposed_from_the_record(self):
		lead, partner, deal = self.make_deal()
		proposed = {
			s["label"]: s for s in desk.get_signers("Opportunity", deal.name, three_signer_template())
		}
		self.assertEqual(list(proposed), ["Client", "Client 2", "Company", "Lawyer"])
		self.assertEqual(proposed["Client"]["email"], lead.email_id)
		self.assertEqual(proposed["Client 2"]["email"], partner.email_id)  # the lead's other contact
		self.assertEqual(proposed["Company"]["user"], "Administrator")
		self.assertEqual((proposed["Lawyer"]["email"], proposed["Lawyer"]["side"]), ("", "CC"))
		self.assertEqual([proposed[k]["step"] for k in ("Client", "Client 2", "Company")], [1, 1, 2])

	def test_only_contacts_the_sender_may_read_are_proposed(self):
		lead, partner, deal = self.make_deal()
		other = contact_for(lead, unique_email("director.three"), "Director Three")
		user = make_user(unique_email("seller"), ["Sign User", "Sales User"])
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Contact",
				"for_value": other.name,
				"apply_to_all_doctypes": 0,
				"applicable_for": "Contact",
			}
		).insert(ignore_permissions=True)
		with self.set_user(user):
			proposed = {
				s["label"]: s for s in desk.get_signers("Opportunity", deal.name, three_signer_template())
			}
		self.assertEqual(proposed["Client 2"]["email"], other.email_id)  # not partner's
		self.assertNotIn(partner.email_id, frappe.as_json(proposed))
		outsider = make_user("sign.only@example.com", ["Sign User"])  # may not read the deal
		with self.set_user(outsider), self.assertRaises(frappe.PermissionError):
			desk.get_signers("Opportunity", deal.name, three_signer_template())

	def test_two_clients_sign_in_parallel_then_the_company_and_the_cc_gets_a_copy(self):
		_lead, _partner, deal = self.make_deal()
		lawyer = unique_email("lawyer")
		result = desk.send(
			"Opportunity",
			deal.name,
			three_signer_template(),
			channel="Email",
			signers=frappe.as_json([{"label": "Lawyer", "name": "Av. Selin Demir", "email": lawyer}]),
		)
		request = frappe.get_doc("Sign Request", result["name"])
		rows = {row.role_label: row for row in request.signers}
		self.assertEqual(
			[(r.role_label, r.signer_role, r.signing_step, r.status) for r in request.signers],
			[
				("Client", "Counterparty", 1, "Pending"),
				("Client 2", "Counterparty", 1, "Pending"),
				("Company", "Company", 2, "Waiting"),
				("Lawyer", "CC", 0, "Waiting"),
			],
		)
		# Each client is shown, and may fill, only the fields of their own role.
		self.assertEqual([f.field_label for f in fields_of(request, rows["Client"])], ["Client signature"])
		self.assertEqual(
			[f.field_label for f in fields_of(request, rows["Client 2"])], ["Second client signature"]
		)
		self.assertEqual(fields_of(request, rows["Lawyer"]), [])

		# The CC got a link to read, which shows the document and signs nothing.
		self.assertTrue(rows["Lawyer"].token_hash)
		self.assertTrue(
			frappe.db.exists(
				"Email Queue Recipient",
				{"recipient": lawyer, "parent": ("in", self.queued_for(request.name))},
			)
		)
		self.assertEqual(requests.link_state(request, rows["Lawyer"]), "copy")
		self.assertTrue(signer_session.document_bytes(request, rows["Lawyer"])[0].startswith(b"%PDF"))
		with self.assertRaises(frappe.ValidationError):
			requests.record_signature(request, rows["Lawyer"], {}, signature_data_url("Lawyer"))

		self.assertEqual((request.waiting_for_customer, request.waiting_for_company), (1, 0))
		# Client 2 signs first: the company still waits for Client.
		requests.record_signature(request, rows["Client 2"], {}, signature_data_url("Director Two"))
		request = frappe.get_doc("Sign Request", request.name)
		self.assertEqual(signing_progress(request.signers), "1 of 3 signed")
		self.assertEqual(self.status_of(request, "Company"), "Waiting")
		row = next(r for r in request.signers if r.role_label == "Client")
		requests.record_signature(request, row, {}, signature_data_url("Director One"))
		request = frappe.get_doc("Sign Request", request.name)
		self.assertEqual(signing_progress(request.signers), "2 of 3 signed")
		self.assertEqual(self.status_of(request, "Company"), "Pending")
		# One request waiting for us now, counted once whatever the number of rows.
		self.assertEqual((request.waiting_for_customer, request.waiting_for_company), (0, 1))

		company = next(r for r in request.signers if r.role_label == "Company")
		requests.record_signature(request, company, {}, signature_data_url("Administrator"))
		request = frappe.get_doc("Sign Request", request.name)
		self.assertEqual(request.status, "Completed")
		self.assertEqual((request.waiting_for_customer, request.waiting_for_company), (0, 0))
		# The certificate names every signer with their role; the copy went to the CC too.
		text = "".join(
			page.extract_text() for page in PdfReader(io.BytesIO(files.signed_document(request))).pages
		)
		for expected in ("Director One", "Director Two", "Client 2", "Company"):
			self.assertIn(expected, text)
		self.assertNotIn("Selin Demir", text)
		sealed_mail = frappe.get_all(
			"Email Queue",
			filters={
				"reference_doctype": "Sign Request",
				"reference_name": request.name,
				"attachments": ("like", "%fid%"),
			},
			pluck="name",
		)
		self.assertTrue(sealed_mail)
		self.assertTrue(
			frappe.db.exists("Email Queue Recipient", {"parent": ("in", sealed_mail), "recipient": lawyer})
		)

	def test_a_signing_role_without_a_person_is_refused_and_a_cc_without_one_left_out(self):
		lead = make_lead(email=unique_email("alone"), first_name="Alone")  # no other contact
		deal = make_opportunity(lead)
		with self.assertRaisesRegex(frappe.ValidationError, "Client 2"):
			desk.send("Opportunity", deal.name, three_signer_template(), channel="Email")
		result = desk.send(
			"Opportunity",
			deal.name,
			three_signer_template(),
			channel="Email",
			signers=[{"label": "Client 2", "name": "Bora Ak", "email": unique_email("bora")}],
		)
		roles = [row.role_label for row in frappe.get_doc("Sign Request", result["name"]).signers]
		self.assertEqual(roles, ["Client", "Client 2", "Company"])

	def test_a_company_signer_must_be_an_active_user_who_reads_the_record(self):
		_lead, _partner, deal = self.make_deal()
		with self.assertRaises(frappe.ValidationError):
			desk.send(
				"Opportunity",
				deal.name,
				three_signer_template(),
				channel="Email",
				signers=[{"label": "Company", "user": "Guest"}],
			)

	def test_roles_and_field_signers_are_checked_on_the_template(self):
		template = frappe.get_doc("Sign Template", three_signer_template())
		template.roles[1].label = "Client"
		with self.assertRaisesRegex(frappe.ValidationError, "Client"):
			template.save(ignore_permissions=True)
		template.reload()
		template.fields[1].signer_label = "Lawyer"  # a CC signs nothing
		with self.assertRaises(frappe.ValidationError):
			template.save(ignore_permissions=True)
		template.reload()
		template.fields[1].signer_label = "Company"  # a counterparty field for a company role
		with self.assertRaises(frappe.ValidationError):
			template.save(ignore_permissions=True)

	def queued_for(self, request_name: str) -> list[str]:
		return frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Sign Request", "reference_name": request_name},
			pluck="name",
		)

	def status_of(self, request, label: str) -> str:
		return next(r.status for r in request.signers if r.role_label == label)
