"""Sign from Lead, Opportunity and Contact: templates, reuse, e-mail and SMS, timeline, permissions."""

import base64
import re

import frappe

from crm_sign.api import desk
from crm_sign.engine.samples import sample_signature_png
from crm_sign.engine.seal import certificate_pem, verify_pdf
from crm_sign.signing import delivery, requests
from crm_sign.signing.audit_log import chain_of, verify_request_chain
from crm_sign.signing.seal_certificate import site_seal_certificate
from crm_sign.signing.timeline import sign_request_timeline
from crm_sign.tests.fixtures import (
	SignTestCase,
	make_contact,
	make_lead,
	make_opportunity,
	make_template,
	make_user,
	unique_email,
	use_twilio,
)
from crm_sign.tests.loopback_sms import LoopbackTwilio

LINK = re.compile(r"/sign/([A-Za-z0-9_-]{43})")


CONTACT_PERSON = unique_email("contact.person")
FULL_FLOW = unique_email("full.flow")
LEAD_EMAIL = unique_email("lead.email")
ONLY_CONTACT = unique_email("only.contact")
PERM = unique_email("perm")
REUSE = unique_email("reuse")
REUSE2 = unique_email("reuse2")


def signature_data_url(name: str = "Ayşe Yılmaz") -> str:
	return "data:image/png;base64," + base64.b64encode(sample_signature_png(name)).decode()


def emailed_token(request_name: str, recipient: str) -> str:
	"""The token from the newest queued e-mail of the request to `recipient` (the link really works)."""
	queues = frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Sign Request", "reference_name": request_name},
		fields=["name", "message"],
		order_by="creation desc",
	)
	for queue in queues:
		recipients = frappe.get_all(
			"Email Queue Recipient", filters={"parent": queue.name}, pluck="recipient"
		)
		message = queue.message.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
		found = LINK.search(message)
		if recipient in recipients and found:
			return found.group(1)
	raise AssertionError(f"no e-mail with a signing link to {recipient}")


class TestSignRequests(SignTestCase):
	def test_lead_request_is_sent_by_email_with_a_working_link(self):
		lead = make_lead(email=LEAD_EMAIL)
		template = make_template("Lead")
		request = requests.create_sign_request(lead, template, channel="Email")

		request.reload()
		self.assertEqual(request.status, "Sent")
		counterparty = next(r for r in request.signers if r.signer_role == "Counterparty")
		company = next(r for r in request.signers if r.signer_role == "Company")
		self.assertEqual((counterparty.status, company.status), ("Pending", "Waiting"))  # counterparty first
		self.assertEqual(counterparty.email, LEAD_EMAIL)
		self.assertEqual(counterparty.delivery_status, "Sent")

		token = emailed_token(request.name, LEAD_EMAIL)
		found, row = requests.find_signer_by_token(token)
		self.assertEqual((found.name, row.name), (request.name, counterparty.name))
		self.assertEqual(requests.link_state(found, row), "open")
		self.assertNotIn(token, counterparty.token_hash)  # stored only as an HMAC
		self.assertEqual(
			requests.find_signer_by_token(token[:-1] + ("A" if token[-1] != "A" else "B")), (None, None)
		)

		comments = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "Lead", "reference_name": lead.name, "comment_type": "Info"},
			pluck="content",
		)
		self.assertTrue(any("for signature" in c and request.name in c for c in comments), comments)
		[card] = sign_request_timeline("Lead", lead.name)
		self.assertIn(request.name, card["content"])
		self.assertIn("crm-sign-resend", card["content"])

	def test_opportunity_finds_email_through_its_contact_person(self):
		lead = make_lead(email=None, mobile=None, first_name="Deal", last_name="Party")
		contact = make_contact(email=CONTACT_PERSON)
		opportunity = make_opportunity(lead, contact)
		self.assertFalse(
			opportunity.contact_email
		)  # the desk fills it client-side; the server must not rely on it
		request = requests.create_sign_request(opportunity, make_template("Opportunity"), channel="Email")
		counterparty = next(r for r in request.signers if r.signer_role == "Counterparty")
		self.assertEqual(counterparty.email, CONTACT_PERSON)
		self.assertTrue(emailed_token(request.name, CONTACT_PERSON))

	def test_contact_request(self):
		contact = make_contact(email=ONLY_CONTACT)
		request = requests.create_sign_request(contact, make_template("Contact"), channel="Email")
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Sent")
		self.assertEqual(request.reference_doctype, "Contact")

	def test_reuse_offers_the_last_used_template_and_sends_in_one_call(self):
		lead = make_lead(email=REUSE)
		first, second = make_template("Lead", "Reuse A"), make_template("Lead", "Reuse B")
		desk.send("Lead", lead.name, second)
		options = desk.get_sign_options("Lead", lead.name)
		self.assertEqual(options["last_used"], second)
		self.assertIn(first, [t.name for t in options["templates"]])
		self.assertEqual(options["recipient"]["email"], REUSE)

		other = make_lead(email=REUSE2, first_name="Other")
		result = desk.send("Lead", other.name, options["last_used"])  # Sign -> Reuse
		self.assertEqual(result["status"], "Sent")
		values = frappe.get_all(
			"Sign Request Value",
			filters={"parent": result["name"]},
			fields=["field_label", "filled_by", "value"],
		)
		self.assertEqual(len(values), 6)  # every field of the template was copied
		self.assertIn({"field_label": "Customer", "filled_by": "Prefilled", "value": other.name}, values)

	def test_missing_email_names_the_field_to_fill(self):
		lead = make_lead(email=None, mobile="+905321112233", first_name="NoMail")
		with self.assertRaises(frappe.ValidationError) as ctx:
			requests.create_sign_request(lead, make_template("Lead"), channel="Email")
		self.assertIn("Email", str(ctx.exception))
		self.assertIn("SMS", str(ctx.exception))
		self.assertFalse(frappe.get_all("Sign Request", filters={"reference_name": lead.name}))

	def test_unsubscribed_email_is_a_visible_failure(self):
		email = unique_email("unsubscribed")
		frappe.get_doc({"doctype": "Email Unsubscribe", "email": email, "global_unsubscribe": 1}).insert(
			ignore_permissions=True
		)
		lead = make_lead(email=email, first_name="Unsub")
		request = requests.create_sign_request(lead, make_template("Lead"), channel="Email")
		row = frappe.get_doc("Sign Request Signer", {"parent": request.name, "signer_role": "Counterparty"})
		self.assertEqual(row.delivery_status, "Failed")
		self.assertIn(email, frappe.db.get_value("Sign Request", request.name, "last_error"))
		self.assertIn("delivery_failed", [e.event for e in chain_of(request.name)])

	def test_sms_reaches_the_gateway_with_the_link(self):
		with LoopbackTwilio() as gateway:
			use_twilio(gateway.url)
			lead = make_lead(email=None, mobile="+90 532 444 55 66", first_name="Sms")
			request = requests.create_sign_request(lead, make_template("Lead"), channel="SMS")
		[message] = gateway.received
		self.assertEqual(message["form"]["To"], "+905324445566")
		token = LINK.search(message["form"]["Body"]).group(1)
		found, row = requests.find_signer_by_token(token)
		self.assertEqual(found.name, request.name)
		self.assertEqual(frappe.db.get_value("Sign Request Signer", row.name, "delivery_status"), "Sent")

	def test_failed_sms_is_visible_and_retried(self):
		with LoopbackTwilio(fail_times=1, status=503) as gateway:
			use_twilio(gateway.url)
			lead = make_lead(email=None, mobile="+905324445577", first_name="Retry")
			request = requests.create_sign_request(lead, make_template("Lead"), channel="SMS")
			row = frappe.get_doc(
				"Sign Request Signer", {"parent": request.name, "signer_role": "Counterparty"}
			)
			self.assertEqual(row.delivery_status, "Failed")
			self.assertIn("503", row.last_delivery_error)
			self.assertTrue(row.next_retry_on)
			self.assertIn("503", frappe.db.get_value("Sign Request", request.name, "last_error"))
			self.assertIn("delivery_failed", [e.event for e in chain_of(request.name)])

			frappe.db.set_value(
				"Sign Request Signer", row.name, "next_retry_on", frappe.utils.add_to_date(None, minutes=-1)
			)
			delivery.retry_failed_deliveries()
		self.assertEqual(len(gateway.received), 2)
		row.reload()
		self.assertEqual((row.delivery_status, row.delivery_attempts), ("Sent", 2))
		self.assertFalse(frappe.db.get_value("Sign Request", request.name, "last_error"))
		token = LINK.search(gateway.received[1]["form"]["Body"]).group(1)
		self.assertEqual(requests.find_signer_by_token(token)[1].name, row.name)

	def test_permissions_follow_the_lead(self):
		lead = make_lead(email=PERM, first_name="Perm")
		request = requests.create_sign_request(lead, make_template("Lead"), channel="Email")
		outsider = make_user("sign.only@example.com", ["Sign User"])
		insider = make_user("sales.sign@example.com", ["Sign User", "Sales User"])

		self.assertFalse(frappe.has_permission("Sign Request", "read", request.name, user=outsider))
		self.assertTrue(frappe.has_permission("Sign Request", "read", request.name, user=insider))
		with self.set_user(outsider):
			self.assertNotIn(request.name, frappe.get_list("Sign Request", pluck="name"))
			self.assertFalse(frappe.get_list("Sign Audit Event", filters={"sign_request": request.name}))
			with self.assertRaises(frappe.PermissionError):
				frappe.get_doc("Sign Request", request.name).check_permission("read")
			with self.assertRaises(frappe.PermissionError):
				desk.send("Lead", lead.name, make_template("Lead"))
		with self.set_user(insider):
			self.assertIn(request.name, frappe.get_list("Sign Request", pluck="name"))

	def test_full_flow_completes_seals_and_keeps_a_valid_audit_chain(self):
		lead = make_lead(email=FULL_FLOW, first_name="Full")
		request = requests.create_sign_request(lead, make_template("Lead"), channel="Email")

		token = emailed_token(request.name, FULL_FLOW)
		request, row = requests.find_signer_by_token(token)
		requests.mark_viewed(request, row)
		requests.record_signature(request, row, {}, signature_data_url())
		request.reload()
		self.assertEqual(request.status, "Partially Signed")
		company = next(r for r in request.signers if r.signer_role == "Company")
		self.assertEqual(company.status, "Pending")
		self.assertTrue(frappe.db.get_value("ToDo", company.todo, "allocated_to"))

		company_link = desk.get_company_signing_link(request.name)
		request, company = requests.find_signer_by_token(LINK.search(company_link).group(1))
		requests.record_signature(request, company, {}, signature_data_url("Administrator"))

		request.reload()
		self.assertEqual(request.status, "Completed", request.last_error)
		signed = frappe.get_doc("File", {"file_url": request.signed_pdf}).get_content()
		self.assertTrue(verify_pdf(signed, certificate_pem(site_seal_certificate())).ok)
		self.assertEqual(
			request.final_sha256, frappe.utils.cstr(__import__("hashlib").sha256(signed).hexdigest())
		)
		self.assertTrue(
			frappe.get_all(
				"File",
				filters={
					"attached_to_doctype": "Lead",
					"attached_to_name": lead.name,
					"file_url": ("like", "%signed%"),
				},
			)
		)
		verify_request_chain(request.name)
		events = [e.event for e in chain_of(request.name)]
		for expected in ("created", "sent", "viewed", "signed", "sealed", "completed"):
			self.assertIn(expected, events)
		self.assertEqual(events.count("signed"), 2)
		self.assertEqual(frappe.db.get_value("ToDo", company.todo, "status"), "Closed")

		with self.assertRaises(frappe.ValidationError):  # a completed link cannot sign again
			requests.record_signature(request, row, {}, signature_data_url())
