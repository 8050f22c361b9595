"""Self-service signing from a template's public link: a visitor becomes a Lead only with a confirmed
code, the request is an ordinary one, and the abuse limits hold."""

import re

import frappe

from crm_sign.signing import public_link, requests
from crm_sign.signing.client import TooManyRequestsError, counter_key
from crm_sign.signing.signer_session import FAILED_LOOKUPS
from crm_sign.tests.fixtures import (
	ensure_outgoing_email_account,
	make_lead,
	make_template,
	make_user,
	sign_everyone,
	unique_email,
)

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

CODE = re.compile(r"is (\d{6})\.")
SCOPES = ("public_code:ip", "public_confirm:ip", "public_lead:ip", FAILED_LOOKUPS)


def emailed_code(email: str) -> str:
	queue = frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Sign Template"},
		fields=["name", "message"],
		order_by="creation desc",
		limit=20,
	)
	for q in queue:
		if frappe.db.exists("Email Queue Recipient", {"parent": q.name, "recipient": email}):
			return CODE.search(q.message.replace("=\r\n", "").replace("=\n", "")).group(1)
	raise AssertionError(f"no code e-mailed to {email}")


def public_template(**overrides) -> str:
	sender = make_user("public.sender@example.com", ["Sign User", "Sales User", "Sales Manager"])
	name = make_template("Lead", "Public NDA", signing_order="Counterparty first")
	template = frappe.get_doc("Sign Template", name)
	template.update({"public_link": 1, "public_sender": sender, "enabled": 1, **overrides})
	template.save(ignore_permissions=True)
	return template


class TestPublicLink(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Guest")
		ensure_outgoing_email_account()
		for scope in SCOPES:  # every test is one guest at the same (empty) address
			frappe.cache.delete(counter_key(scope, ""))

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def start(self, template, email, name="Zeynep Kaya", mobile="+90 532 111 22 33"):
		started = public_link.request_code(template.public_slug, name, email, mobile)
		return started["start"], emailed_code(email)

	def test_a_confirmed_visitor_becomes_a_lead_with_a_sent_request(self):
		frappe.set_user("Administrator")
		template = public_template()
		frappe.set_user("Guest")
		email = unique_email("visitor")
		start, code = self.start(template, email)
		self.assertFalse(frappe.db.exists("Lead", {"email_id": email}))  # nothing before the code

		wrong = "000000" if code != "000000" else "111111"
		with self.assertRaises(frappe.ValidationError):
			public_link.confirm_code(start, wrong)
		self.assertFalse(frappe.db.exists("Lead", {"email_id": email}))
		result = public_link.confirm_code(start, code)

		lead = frappe.get_doc("Lead", result["lead"])
		self.assertEqual((lead.email_id, lead.first_name, lead.last_name), (email, "Zeynep", "Kaya"))
		self.assertEqual(lead.mobile_no, "+90 532 111 22 33")
		request, row = requests.find_signer_by_token(result["url"].rsplit("/", 1)[1])
		self.assertEqual((request.reference_doctype, request.reference_name), ("Lead", lead.name))
		self.assertEqual((request.status, request.owner), ("Sent", template.public_sender))
		self.assertEqual((row.signer_role, row.email, row.status), ("Counterparty", email, "Pending"))
		self.assertEqual(request.otp_method, "Email")
		self.assertTrue(row.otp_session_hash)  # this browser confirmed the address
		events = frappe.get_all(
			"Sign Audit Event", filters={"sign_request": request.name}, pluck="event", order_by="idx asc"
		)
		self.assertIn("code_verified", events)
		# A start is used once.
		with self.assertRaises(frappe.ValidationError):
			public_link.confirm_code(start, code)

		# It is an ordinary request: signed, sealed and attached to the Lead.
		frappe.set_user("Administrator")
		sign_everyone(request)
		request.reload()
		self.assertEqual(request.status, "Completed")
		sealed = frappe.get_all(
			"File", filters={"attached_to_doctype": "Lead", "attached_to_name": lead.name}, pluck="file_name"
		)
		self.assertTrue(any(name.endswith(".pdf") for name in sealed), sealed)

	def test_the_lead_with_the_same_email_is_reused(self):
		frappe.set_user("Administrator")
		template = public_template()
		email = unique_email("known")
		known = make_lead(email=email, first_name="Known")
		frappe.set_user("Guest")
		start, code = self.start(template, email.upper(), name="Someone Else")
		result = public_link.confirm_code(start, code)
		self.assertEqual(result["lead"], known.name)
		self.assertEqual(frappe.db.count("Lead", {"email_id": email}), 1)

	def test_bad_input_and_unknown_links_are_refused(self):
		frappe.set_user("Administrator")
		template = public_template()
		frappe.set_user("Guest")
		for name, email, mobile in (
			("", unique_email("x"), ""),
			("Ali", "not-an-address", ""),
			("Ali", unique_email("x"), "call me maybe"),
		):
			with self.assertRaises(frappe.ValidationError):
				public_link.request_code(template.public_slug, name, email, mobile)
		with self.assertRaises(frappe.DoesNotExistError):
			public_link.request_code("0123456789abcdef", "Ali", unique_email("x"))
		with self.assertRaises(frappe.ValidationError):
			public_link.confirm_code("x" * 43, "123456")
		# A disabled public link is gone.
		frappe.db.set_value("Sign Template", template.name, "public_link", 0)
		with self.assertRaises(frappe.DoesNotExistError):
			public_link.public_template(template.public_slug)

	def test_what_a_guest_types_is_stored_harmless(self):
		frappe.set_user("Administrator")
		template = public_template()
		frappe.set_user("Guest")
		email = unique_email("xss")
		start, code = self.start(template, email, name='Eve <img src=x onerror="alert(1)">')
		lead = frappe.get_doc("Lead", public_link.confirm_code(start, code)["lead"])
		self.assertNotIn("<", lead.lead_name)
		self.assertIn("‹img", lead.lead_name)

	def test_abuse_limits_per_email_and_per_start(self):
		frappe.set_user("Administrator")
		template = public_template()
		frappe.set_user("Guest")
		email = unique_email("abuse")
		for _ in range(public_link.CODES_PER_EMAIL):
			public_link.request_code(template.public_slug, "Abuse", email)
		with self.assertRaises(TooManyRequestsError):
			public_link.request_code(template.public_slug, "Abuse", email)

		other = unique_email("guesser")
		start, code = self.start(template, other)
		wrong = "000000" if code != "000000" else "111111"
		for _ in range(4):
			with self.assertRaises(frappe.ValidationError):
				public_link.confirm_code(start, wrong)
		with self.assertRaises(frappe.ValidationError):  # the fifth try is wrong too: locked
			public_link.confirm_code(start, wrong)
		with self.assertRaises(frappe.ValidationError):  # even the right code is too late now
			public_link.confirm_code(start, code)
		self.assertFalse(frappe.db.exists("Lead", {"email_id": other}))

	def test_a_template_must_suit_a_public_link(self):
		frappe.set_user("Administrator")
		sender = make_user("public.sender@example.com", ["Sign User", "Sales User", "Sales Manager"])
		opportunity_template = frappe.get_doc("Sign Template", make_template("Opportunity"))
		opportunity_template.update({"public_link": 1, "public_sender": sender})
		with self.assertRaises(frappe.ValidationError):
			opportunity_template.save(ignore_permissions=True)
		lead_template = frappe.get_doc("Sign Template", make_template("Lead", "Public Company First"))
		lead_template.update({"public_link": 1, "public_sender": sender, "signing_order": "Company first"})
		with self.assertRaises(frappe.ValidationError):
			lead_template.save(ignore_permissions=True)
		outsider = make_user("sign.only@example.com", ["Sign User"])
		lead_template.update({"signing_order": "Parallel", "public_sender": outsider})
		with self.assertRaises(frappe.ValidationError):  # may not create Leads
			lead_template.save(ignore_permissions=True)
