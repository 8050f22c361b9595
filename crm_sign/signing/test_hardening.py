"""Issue 13 on a real site: texts rendered in the sandbox, the code e-mail through the Email Queue,
triggers acting as their rule's owner, the timestamp server allow-list, and the desk endpoints'
checks of their caller.

Each test here fails on the code before the change: a template body granted roles as the request's
owner, the code was in the e-mail subject and sent inline, triggers acted as the request's owner, any
Sign Manager could point the sealing job at any URL, and the desk endpoints did not check templates.
"""

from __future__ import annotations

import email
from email.header import decode_header, make_header
from unittest.mock import patch

import frappe
import frappe.handler
from frappe.utils import set_request

from crm_sign.api import desk
from crm_sign.automation.test_automation import (
	NEGOTIATION,
	AutomationTestCase,
	make_automation_rule,
	runs_for,
)
from crm_sign.signing import delivery, requests
from crm_sign.signing.audit_log import chain_of
from crm_sign.signing.settings import allowed_timestamp_url
from crm_sign.signing.text_templates import record_values
from crm_sign.tests.fixtures import (
	SignTestCase,
	make_lead,
	make_template,
	make_user,
	sign_next,
	unique_email,
)

MANAGER = "hardening.manager@example.com"  # Sign Manager only: may edit templates and rules
SELLER = "hardening.seller@example.com"  # Sign Manager and Sales User: may also change deals
CLERK = "hardening.clerk@example.com"  # Sales User: reads leads, nothing of crm_sign
SIGNER = "hardening.signer@example.com"  # Sign User and Sales User, limited to one template
TSA = "https://tsa.example.com/tsr"


def new_lead(prefix: str = "hardening"):
	"""No mobile: ERPNext commits when a new lead has a phone number (see crm_sign.tests.fixtures)."""
	return make_lead(email=unique_email(prefix), mobile=None)


def new_template(**values) -> str:
	return make_template("Lead", f"Hardening {frappe.generate_hash(length=8)}", channel="Email", **values)


def queued_mails(request_name: str) -> list:
	"""The request's Email Queue rows, newest first, with the decoded subject and body."""
	rows = frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Sign Request", "reference_name": request_name},
		fields=["name", "message", "status", "priority"],
		order_by="creation desc",
	)
	for row in rows:
		parsed = email.message_from_string(row.message)
		row.subject = str(make_header(decode_header(parsed["Subject"] or "")))
		# the HTML part only: the plain-text part shows escaped names as the text they are
		html = next((part for part in parsed.walk() if part.get_content_type() == "text/html"), None)
		payload = html.get_payload(decode=True) if html else b""
		row.body = payload.decode(html.get_content_charset() or "utf-8") if html else ""
	return rows


def pending_row(request):
	request.reload()
	return next(r for r in request.signers if r.status == "Pending")


class HardeningTestCase(SignTestCase):
	def tearDown(self):
		super().tearDown()
		frappe.local.request = None
		frappe.clear_document_cache("Sign Settings", "Sign Settings")


class TestTemplateTexts(HardeningTestCase):
	def test_a_template_body_cannot_act_with_the_rights_of_the_sender(self):
		"""A Sign Manager's body that grants roles fails on the signer row; nobody gets the role."""
		author = make_user(MANAGER, ["Sign Manager"])
		template = new_template()
		body = '{{ frappe.get_doc("User", "%s").add_roles("System Manager") }}' % author
		frappe.db.set_value("Sign Template", template, {"email_body": body, "owner": author})

		request = requests.create_sign_request(new_lead(), template, channel="Email")  # as Administrator

		self.assertFalse(frappe.db.exists("Has Role", {"parent": author, "role": "System Manager"}))
		row = pending_row(request)
		self.assertEqual(row.delivery_status, "Failed")
		self.assertIn(template, row.last_delivery_error)
		self.assertIn("cannot be rendered", row.last_delivery_error)
		self.assertEqual(
			frappe.db.get_value("Sign Request", request.name, "last_error"), row.last_delivery_error
		)
		self.assertIn("delivery_failed", [e.event for e in chain_of(request.name)])
		self.assertFalse(queued_mails(request.name))

	def test_an_sms_text_cannot_read_the_database(self):
		template = new_template()
		frappe.db.set_value(
			"Sign Template", template, "sms_text", "{{ frappe.db.sql('select name from tabUser') }}"
		)
		request = requests.create_sign_request(new_lead(), template, channel="Email")
		row = pending_row(request)
		row.db_set("mobile", "+905551112233")

		delivery.deliver_sms_job(request.name, row.name, user="Administrator")

		row.reload()
		self.assertEqual(row.delivery_status, "Failed")
		self.assertIn("The SMS text of Sign Template", row.last_delivery_error)
		self.assertFalse(row.next_retry_on, "a broken text is not retried")

	def test_record_values_and_undefined_names_render(self):
		template = new_template(email_subject="Sign {{ doc.email_id }}{{ nothing }} now")
		frappe.db.set_value(
			"Sign Template", template, "email_body", "<p>{{ doc.name }} {{ missing.deeper }} {{ link }}</p>"
		)
		lead = new_lead()
		request = requests.create_sign_request(lead, template, channel="Email")
		mail = queued_mails(request.name)[0]
		self.assertEqual(mail.subject, f"Sign {lead.email_id} now")
		self.assertIn(lead.name, mail.body)
		self.assertNotIn("{{", mail.body)
		self.assertNotIn("missing", mail.body)
		self.assertEqual(pending_row(request).delivery_status, "Sent")

	def test_the_default_e_mail_escapes_names_and_titles(self):
		request = requests.create_sign_request(new_lead(), new_template(), channel="Email")
		row = pending_row(request)
		frappe.db.set_value("Sign Request Signer", row.name, "signer_name", "<b>Evil</b> & Co")
		request.db_set("title", '<img src="x" onerror="alert(1)">')
		requests.resend(frappe.get_doc("Sign Request", request.name))

		body = queued_mails(request.name)[0].body
		self.assertNotIn("<b>Evil</b>", body)
		self.assertIn("&lt;b&gt;Evil&lt;/b&gt; &amp; Co", body)
		self.assertNotIn('<img src="x"', body)
		self.assertIn("&lt;img src=", body)

	def test_a_rule_text_with_a_syntax_error_is_refused_when_saved(self):
		with self.assertRaises(frappe.ValidationError) as caught:
			make_automation_rule(
				rule_kind="Trigger",
				trigger_event="Completed",
				action="Add comment",
				comment_text="{{ doc.name",
			)
		self.assertIn("cannot be rendered", str(caught.exception))


class TestCodeEmail(HardeningTestCase):
	def code_request(self):
		template = new_template(otp_method="Email", signing_order="Counterparty first")
		request = requests.create_sign_request(new_lead(), template, channel="Email")
		return request, pending_row(request)

	def test_the_code_is_queued_and_never_in_the_subject(self):
		request, row = self.code_request()
		delivery.send_code(request, row, "987654")
		mail = queued_mails(request.name)[0]
		self.assertNotIn("987654", mail.subject)
		self.assertIn("987654", mail.body)
		self.assertEqual(mail.status, "Not Sent", "queued, not sent inside the signer's request")
		self.assertEqual(mail.priority, delivery.CODE_EMAIL_PRIORITY)

	def test_an_unreachable_mail_server_shows_on_the_row_not_on_the_page(self):
		from frappe.email.doctype.email_queue.email_queue import EmailQueue

		request, row = self.code_request()
		unreachable = frappe.OutgoingEmailError("Invalid Outgoing Mail Server or Port")
		with patch.object(EmailQueue, "send", side_effect=unreachable):
			delivery.send_code(request, row, "123123")  # the page gets its answer
			queue = queued_mails(request.name)[0]
			delivery.send_code_email(queue.name, request.name, row.name)  # the job after the commit

		row.reload()
		self.assertEqual(row.delivery_status, "Failed")
		self.assertIn("could not be sent", row.last_delivery_error)
		self.assertIn("Invalid Outgoing Mail Server", row.last_delivery_error)
		self.assertIn("delivery_failed", [e.event for e in chain_of(request.name)])


class TestTriggerRights(AutomationTestCase):
	def set_stage_trigger(self, user: str, **values):
		with self.set_user(user):
			return make_automation_rule(
				title=values.pop("title", "Move to negotiation"),
				rule_kind="Trigger",
				trigger_event="Signed by counterparty",
				action="Set field",
				set_field="sales_stage",
				set_value=NEGOTIATION,
				**values,
			)

	def sign_as_counterparty(self):
		opp = self.deal()
		request = requests.create_sign_request(opp, self.template, channel="Email")  # as Administrator
		sign_next(request, "Counterparty")
		return opp

	def automation_notes(self, opp) -> list:
		return frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "Opportunity",
				"reference_name": opp.name,
				"comment_type": "Info",
				"content": ("like", "%automation rule%"),
			},
			fields=["content", "owner"],
		)

	def test_a_trigger_acts_as_its_rules_owner_and_says_so(self):
		seller = make_user(SELLER, ["Sign Manager", "Sales User"])
		rule = self.set_stage_trigger(seller)
		opp = self.sign_as_counterparty()

		deal = frappe.db.get_value("Opportunity", opp.name, ["sales_stage", "modified_by"], as_dict=True)
		self.assertEqual((deal.sales_stage, deal.modified_by), (NEGOTIATION, seller))
		run = runs_for(opp, kind="Trigger")[0]
		self.assertEqual((run.status, run.run_as), ("Done", seller))
		notes = self.automation_notes(opp)
		self.assertEqual(len(notes), 1)
		self.assertEqual(notes[0].owner, seller)
		self.assertIn(rule.name, notes[0].content)
		self.assertEqual(frappe.session.user, "Administrator")

	def test_a_rule_owner_who_may_not_write_the_record_is_refused(self):
		manager = make_user(MANAGER, ["Sign Manager"])
		self.set_stage_trigger(manager)
		opp = self.sign_as_counterparty()

		self.assertNotEqual(frappe.db.get_value("Opportunity", opp.name, "sales_stage"), NEGOTIATION)
		run = runs_for(opp, kind="Trigger")[0]
		self.assertEqual(run.status, "Failed")
		self.assertIn("may not change", run.detail)
		notes = self.automation_notes(opp)
		self.assertEqual(len(notes), 1)
		self.assertIn("did not act", notes[0].content)
		self.assertIn(manager, notes[0].content)

	def test_editing_an_administrators_rule_does_not_lend_its_rights(self):
		manager = make_user(MANAGER, ["Sign Manager"])
		rule = self.set_stage_trigger("Administrator")
		with self.set_user(manager):
			edited = frappe.get_doc("Sign Automation Rule", rule.name)
			edited.title = "Edited by a Sign Manager"
			edited.save()
		opp = self.sign_as_counterparty()

		self.assertNotEqual(frappe.db.get_value("Opportunity", opp.name, "sales_stage"), NEGOTIATION)
		run = runs_for(opp, kind="Trigger")[0]
		self.assertEqual(run.status, "Failed")
		self.assertIn(manager, run.detail)

	def test_trigger_texts_cannot_reach_frappe(self):
		make_automation_rule(
			title="Leaky comment",
			rule_kind="Trigger",
			trigger_event="Signed by counterparty",
			action="Add comment",
			comment_text="Users: {{ frappe.db.sql('select name from tabUser') }}",
		)
		opp = self.sign_as_counterparty()
		run = runs_for(opp, kind="Trigger")[0]
		self.assertEqual(run.status, "Failed")
		self.assertIn("cannot be rendered", run.detail)
		self.assertFalse(
			frappe.get_all("Comment", filters={"reference_name": opp.name, "content": ("like", "Users:%")})
		)


class TestTimestampServers(HardeningTestCase):
	def settings(self):
		frappe.clear_document_cache("Sign Settings", "Sign Settings")
		return frappe.get_single("Sign Settings")

	def test_a_sign_manager_cannot_choose_the_timestamp_server(self):
		manager = make_user(MANAGER, ["Sign Manager"])
		with self.set_user(manager):
			settings = self.settings()
			settings.timestamp_url = "https://attacker.example.net/tsr"
			settings.allowed_timestamp_servers = "https://attacker.example.net/tsr"  # level 1: reset
			with self.assertRaises(frappe.ValidationError) as caught:
				settings.save()
		self.assertIn("Allowed Timestamp Servers", str(caught.exception))
		self.assertFalse(frappe.db.get_single_value("Sign Settings", "allowed_timestamp_servers"))

	def test_a_system_manager_allows_servers_and_only_https_ones(self):
		settings = self.settings()
		settings.allowed_timestamp_servers = f"{TSA}\nhttp://plain.example.com/tsr"
		with self.assertRaises(frappe.ValidationError):
			settings.save()
		settings = self.settings()  # the failed save left its own timestamp on the object
		settings.allowed_timestamp_servers = TSA
		settings.timestamp_url = TSA
		settings.save()
		self.assertEqual(allowed_timestamp_url(), TSA)

		manager = make_user(MANAGER, ["Sign Manager"])
		with self.set_user(manager):
			settings = self.settings()
			settings.timestamp_url = TSA + "/"  # the same server
			settings.save()
			self.assertNotIn("allowed_timestamp_servers", record_values(settings))
		self.assertIn("allowed_timestamp_servers", record_values(self.settings(), "Administrator"))

	def test_a_url_that_is_not_allowed_is_not_used(self):
		frappe.db.set_single_value("Sign Settings", {"timestamp_url": TSA, "allowed_timestamp_servers": ""})
		self.settings()
		self.assertIsNone(allowed_timestamp_url())
		frappe.db.set_single_value(
			"Sign Settings", {"timestamp_url": "http://tsa.example.com/tsr", "allowed_timestamp_servers": TSA}
		)
		self.settings()
		self.assertIsNone(allowed_timestamp_url())


class TestDeskEndpoints(HardeningTestCase):
	def tearDown(self):
		frappe.cache.hdel("user_permissions", SIGNER)
		super().tearDown()

	def call(self, method: str, http_method: str, **args):
		cmd = f"crm_sign.api.desk.{method}"
		set_request(method=http_method, path=f"/api/method/{cmd}")
		frappe.local.form_dict = frappe._dict(cmd=cmd, **args)
		return frappe.handler.execute_cmd(cmd)

	def test_send_needs_post(self):
		lead, template = new_lead(), new_template()
		with self.assertRaises(frappe.PermissionError):
			self.call("send", "GET", doctype="Lead", name=lead.name, template=template)
		self.assertFalse(frappe.get_all("Sign Request", filters={"reference_name": lead.name}))
		result = self.call("send", "POST", doctype="Lead", name=lead.name, template=template)
		self.assertEqual(result["status"], "Sent")

	def test_a_user_without_template_access_sees_no_templates_and_cannot_preview(self):
		clerk = make_user(CLERK, ["Sales User"])
		lead, template = new_lead(), new_template()
		desk.send("Lead", lead.name, template)  # the template was used last
		with self.set_user(clerk):
			options = desk.get_sign_options("Lead", lead.name)
			self.assertEqual((options["templates"], options["last_used"]), ([], None))
			with self.assertRaises(frappe.PermissionError):
				desk.preview("Lead", lead.name, template)

	def test_templates_follow_user_permissions(self):
		signer = make_user(SIGNER, ["Sign User", "Sales User"])
		allowed, other = new_template(), new_template()
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": signer,
				"allow": "Sign Template",
				"for_value": allowed,
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		frappe.cache.hdel("user_permissions", signer)
		lead = new_lead()
		with self.set_user(signer):
			names = [t.name for t in desk.get_sign_options("Lead", lead.name)["templates"]]
			self.assertIn(allowed, names)
			self.assertNotIn(other, names)
			with self.assertRaises(frappe.PermissionError):
				desk.send("Lead", lead.name, other)
			with self.assertRaises(frappe.PermissionError):
				desk.preview("Lead", lead.name, other)
		self.assertFalse(frappe.get_all("Sign Request", filters={"reference_name": lead.name}))

	def test_send_needs_read_on_the_record_and_create_on_sign_request(self):
		clerk = make_user(CLERK, ["Sales User"])
		lead, template = new_lead(), new_template()
		with self.set_user(clerk), self.assertRaises(frappe.PermissionError):
			desk.send("Lead", lead.name, template)
		outsider = make_user(MANAGER, ["Sign Manager"])
		with self.set_user(outsider), self.assertRaises(frappe.PermissionError):
			desk.send("Lead", lead.name, template)
