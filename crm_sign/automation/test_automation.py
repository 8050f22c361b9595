"""Stage automation: rules, triggers, the Workflow editor, reminders and expiry, on a real site.

Background jobs run inline here (`now=frappe.flags.in_test`), so a save returns with its requests made.
"""

import frappe
from frappe.desk.doctype.number_card.number_card import get_result
from frappe.utils import add_days, now_datetime

from crm_sign.automation import scheduler
from crm_sign.automation.board import BOARD_NAME
from crm_sign.automation.index import clear_index, get_index
from crm_sign.automation.rules import on_record_saved, run_stage_entry
from crm_sign.signing import requests
from crm_sign.signing.audit_log import chain_of
from crm_sign.tests.fixtures import (
	ensure_outgoing_email_account,
	ensure_workflow_state_field,
	make_automation_rule,
	make_lead,
	make_opportunity,
	make_template,
	make_user,
	make_workflow,
	sign_everyone,
	sign_next,
)

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

PROPOSAL = "Proposal/Price Quote"
NEGOTIATION = "Negotiation/Review"


def new_lead(prefix: str, **values):
	"""A Lead with a unique address and no mobile: ERPNext commits when a new contact has a phone
	(call_log.link_existing_conversations), which would end the test's transaction."""
	return make_lead(email=f"{prefix}.{frappe.generate_hash(length=8)}@example.com", mobile=None, **values)


def requests_for(doc) -> list:
	return frappe.get_all(
		"Sign Request",
		filters={"reference_doctype": doc.doctype, "reference_name": doc.name},
		fields=["name", "status", "template", "owner", "creation"],
		order_by="creation asc, name asc",
	)


def runs_for(doc, **filters) -> list:
	return frappe.get_all(
		"Sign Automation Run",
		filters={"reference_doctype": doc.doctype, "reference_name": doc.name, **filters},
		fields=["name", "status", "kind", "rule", "source", "sign_request", "entry", "detail", "run_as"],
		order_by="creation asc",
	)


def move(doc, **values):
	doc.reload()
	doc.update(values)
	doc.save()
	return doc


class AutomationTestCase(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()
		clear_index()
		self.template = make_template("Opportunity")
		self.lead = new_lead("deal")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		clear_index()  # the index lives in Redis, which the rollback does not reach
		frappe.clear_cache(doctype="Opportunity")
		frappe.clear_document_cache("Sign Settings", "Sign Settings")

	def deal(self, **values):
		return make_opportunity(self.lead, **values)


class TestStageRules(AutomationTestCase):
	def test_entering_a_field_stage_sends_the_rules_template(self):
		rule = make_automation_rule(template=self.template)
		opp = self.deal()
		self.assertEqual(requests_for(opp), [])  # created in Prospecting: not the rule's stage

		move(opp, sales_stage=PROPOSAL)
		sent = requests_for(opp)
		self.assertEqual(len(sent), 1)
		self.assertEqual((sent[0].status, sent[0].template), ("Sent", self.template))
		run = runs_for(opp)[0]
		self.assertEqual(
			(run.status, run.rule, run.sign_request, run.entry), ("Sent", rule.name, sent[0].name, 1)
		)
		self.assertTrue(
			frappe.get_all(
				"Email Queue", filters={"reference_doctype": "Sign Request", "reference_name": sent[0].name}
			)
		)

	def test_a_rule_sends_its_templates_in_one_envelope(self):
		nda = make_template("Opportunity", "Test NDA Opportunity")
		make_automation_rule(template=self.template, envelope_templates=[{"template": nda}])
		opp = self.deal()
		move(opp, sales_stage=PROPOSAL)
		sent = requests_for(opp)
		self.assertEqual(len(sent), 1)
		request = frappe.get_doc("Sign Request", sent[0].name)
		self.assertEqual([row.template for row in request.documents], [self.template, nda])
		self.assertEqual(request.status, "Sent")
		with self.assertRaises(frappe.ValidationError):  # the rule's own template again
			make_automation_rule(
				template=self.template,
				stage_value=NEGOTIATION,
				envelope_templates=[{"template": self.template}],
			)

	def test_a_record_created_in_the_stage_counts_as_entering_it(self):
		template = make_template("Lead")
		make_automation_rule(
			reference_doctype="Lead", stage_field="status", stage_value="Interested", template=template
		)
		lead = new_lead("created.interested", status="Interested")
		self.assertEqual([r.template for r in requests_for(lead)], [template])

	def test_saving_again_in_the_same_stage_or_replaying_the_job_sends_once(self):
		make_automation_rule(template=self.template)
		opp = move(self.deal(), sales_stage=PROPOSAL)
		entered_on = str(opp.modified)
		move(opp, probability=50)  # still in the stage: no entry
		source = get_index("Opportunity")["rules"][0]["source"]
		run_stage_entry("Opportunity", opp.name, [source], entered_on, "Administrator")  # a replayed job
		self.assertEqual(len(requests_for(opp)), 1)
		self.assertEqual(len(runs_for(opp)), 1)

	def test_reentry_sends_again_only_with_resend_on_reentry(self):
		rule = make_automation_rule(template=self.template)
		opp = move(self.deal(), sales_stage=PROPOSAL)
		move(opp, sales_stage=NEGOTIATION)
		move(opp, sales_stage=PROPOSAL)
		self.assertEqual(len(requests_for(opp)), 1)
		self.assertEqual([r.status for r in runs_for(opp)], ["Sent", "Skipped"])
		self.assertEqual(runs_for(opp)[1].entry, 2)

		rule.resend_on_reentry = 1
		rule.save()
		move(opp, sales_stage=NEGOTIATION)
		move(opp, sales_stage=PROPOSAL)
		self.assertEqual(len(requests_for(opp)), 2)
		self.assertEqual(runs_for(opp)[-1].entry, 3)

	def test_condition_over_fields_and_sign_settings_constants(self):
		settings = frappe.get_single("Sign Settings")
		settings.append("constants", {"constant_name": "big_deal", "value": "10000"})
		settings.save()
		make_automation_rule(
			template=self.template, condition="opportunity_amount >= float(big_deal) and status == 'Open'"
		)
		small = move(self.deal(opportunity_amount=500), sales_stage=PROPOSAL)
		big = move(self.deal(opportunity_amount=25000), sales_stage=PROPOSAL)
		self.assertEqual(requests_for(small), [])
		self.assertEqual(len(requests_for(big)), 1)

	def test_a_condition_that_fails_at_runtime_does_not_block_the_save(self):
		make_automation_rule(template=self.template, condition="opportunity_amount + title > 3")
		opp = move(self.deal(opportunity_amount=10, title="x"), sales_stage=PROPOSAL)
		self.assertEqual(opp.sales_stage, PROPOSAL)
		self.assertEqual(requests_for(opp), [])
		self.assertTrue(frappe.get_all("Error Log", filters={"reference_name": opp.name}))

	def test_rules_of_one_stage_run_in_order_together(self):
		second = make_template("Opportunity", "Test NDA Opportunity")
		make_automation_rule(title="NDA", template=second, rule_order=2)
		make_automation_rule(title="Contract", template=self.template, rule_order=1)
		opp = move(self.deal(), sales_stage=PROPOSAL)
		self.assertEqual([r.template for r in requests_for(opp)], [self.template, second])
		self.assertEqual({r.status for r in requests_for(opp)}, {"Sent"})

	def test_one_after_another_waits_for_the_previous_request_to_complete(self):
		second = make_template("Opportunity", "Test NDA Opportunity")
		make_automation_rule(title="Contract", template=self.template, rule_order=1)
		make_automation_rule(title="NDA", template=second, rule_order=2, run_mode="One after another")
		opp = move(self.deal(), sales_stage=PROPOSAL)
		first = requests_for(opp)
		self.assertEqual([r.template for r in first], [self.template])
		self.assertEqual([r.status for r in runs_for(opp)], ["Sent", "Waiting"])

		sign_everyone(frappe.get_doc("Sign Request", first[0].name))
		self.assertEqual(frappe.db.get_value("Sign Request", first[0].name, "status"), "Completed")
		self.assertEqual([r.template for r in requests_for(opp)], [self.template, second])
		self.assertEqual([r.status for r in runs_for(opp, kind="Rule")], ["Sent", "Sent"])

	def test_one_after_another_is_cancelled_when_the_previous_request_is_declined(self):
		second = make_template("Opportunity", "Test NDA Opportunity")
		make_automation_rule(title="Contract", template=self.template, rule_order=1)
		make_automation_rule(title="NDA", template=second, rule_order=2, run_mode="One after another")
		opp = move(self.deal(), sales_stage=PROPOSAL)
		request = frappe.get_doc("Sign Request", requests_for(opp)[0].name)
		row = next(r for r in request.signers if r.status == "Pending")
		requests.decline(request, row, "Not now")
		self.assertEqual(len(requests_for(opp)), 1)
		self.assertEqual([r.status for r in runs_for(opp, kind="Rule")], ["Sent", "Cancelled"])

	def test_bulk_stage_moves_each_produce_a_request(self):
		make_automation_rule(template=self.template)
		deals = [self.deal() for _ in range(5)]
		for opp in deals:
			frappe.client.set_value("Opportunity", opp.name, "sales_stage", PROPOSAL)
		self.assertEqual([len(requests_for(opp)) for opp in deals], [1] * 5)


class TestRuleValidation(AutomationTestCase):
	def assertRefused(self, message_part: str, **values):
		with self.assertRaises(frappe.ValidationError) as caught:
			make_automation_rule(**values)
		self.assertIn(message_part, str(caught.exception))

	def test_field_and_value_must_exist_on_the_doctype(self):
		self.assertRefused("has no field", template=self.template, stage_field="no_such_field")
		self.assertRefused("does not exist", template=self.template, stage_value="No Such Stage")
		self.assertRefused(
			"is not an option", template=self.template, stage_field="status", stage_value="Nope"
		)

	def test_system_doctypes_cannot_be_watched(self):
		self.assertRefused("written by the system", reference_doctype="Sign Request", template=self.template)

	def test_template_must_be_for_the_same_doctype(self):
		self.assertRefused("is for Lead", template=make_template("Lead"))

	def test_condition_must_parse_and_name_known_fields(self):
		self.assertRefused("Invalid condition", template=self.template, condition="opportunity_amount >")
		self.assertRefused("Unknown field", template=self.template, condition="amount_typo > 3")
		self.assertRefused("not allowed", template=self.template, condition="__import__('os')")
		self.assertRefused("not allowed", template=self.template, condition="title.__class__")

	def test_workflow_state_needs_an_active_workflow(self):
		self.assertRefused(
			"no active Workflow", template=self.template, stage_type="Workflow State", stage_value="Draft"
		)

	def test_trigger_checks_its_action(self):
		self.assertRefused(
			"has no field",
			rule_kind="Trigger",
			trigger_event="Completed",
			action="Set field",
			set_field="nope",
		)
		self.assertRefused(
			"Notification", rule_kind="Trigger", trigger_event="Completed", action="Send notification"
		)
		self.assertRefused(
			"is for Lead",
			rule_kind="Trigger",
			trigger_event="Completed",
			action="Add comment",
			comment_text="x",
			only_templates=[{"template": make_template("Lead")}],
		)


class TestTriggers(AutomationTestCase):
	def sent_request(self):
		opp = self.deal()
		request = requests.create_sign_request(opp, self.template, channel="Email")
		return opp, request

	def trigger(self, event: str, action: str, **values):
		return make_automation_rule(
			title=f"{event}: {action}", rule_kind="Trigger", trigger_event=event, action=action, **values
		)

	def test_viewed_adds_a_comment(self):
		self.trigger(
			"Viewed", "Add comment", comment_text="{{ signer.signer_name }} opened {{ request.name }}"
		)
		opp, request = self.sent_request()
		row = next(r for r in request.signers if r.status == "Pending")
		requests.mark_viewed(request, row)
		comments = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "Opportunity", "reference_name": opp.name, "comment_type": "Info"},
			pluck="content",
		)
		self.assertIn(f"{row.signer_name} opened {request.name}", comments)

	def test_signed_by_counterparty_moves_the_deal_and_its_stage_rule_sends_the_next_document(self):
		self.trigger("Signed by counterparty", "Set field", set_field="sales_stage", set_value=NEGOTIATION)
		next_template = make_template("Opportunity", "Test Order Form Opportunity")
		make_automation_rule(title="Order form", template=next_template, stage_value=NEGOTIATION)
		opp, request = self.sent_request()
		sign_next(request, "Counterparty")
		self.assertEqual(frappe.db.get_value("Opportunity", opp.name, "sales_stage"), NEGOTIATION)
		self.assertEqual([r.template for r in requests_for(opp)], [self.template, next_template])
		# The timeline says why the deal moved, in a line of its own (Opportunity does not track changes).
		notes = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "Opportunity", "reference_name": opp.name, "comment_type": "Info"},
			pluck="content",
		)
		self.assertTrue(
			any(f"to {NEGOTIATION} because {request.name} was signed by the customer" in n for n in notes),
			notes,
		)
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Partially Signed")

	def test_signed_by_company_creates_a_todo(self):
		user = make_user("auto.backoffice@example.com", ["Sales User"])
		self.trigger(
			"Signed by company", "Create ToDo", todo_user=user, comment_text="Archive {{ doc.name }}"
		)
		opp, request = self.sent_request()
		sign_next(request, "Counterparty")
		self.assertFalse(frappe.get_all("ToDo", filters={"reference_name": opp.name, "allocated_to": user}))
		sign_next(request, "Company")
		todos = frappe.get_all(
			"ToDo", filters={"reference_name": opp.name, "allocated_to": user}, pluck="description"
		)
		self.assertEqual(len(todos), 1)
		self.assertIn(f"Archive {opp.name}", todos[0])

	def test_completed_sends_a_notification(self):
		notification = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": "Deal signed (crm_sign test)",
				"subject": "Signed: {{ doc.name }}",
				"document_type": "Opportunity",
				"event": "Method",
				"method": "crm_sign_completed",
				"channel": "Email",
				"message": "All parties signed {{ doc.name }}",
				"recipients": [{"cc": "sales.lead@example.com"}],
				"enabled": 1,
			}
		).insert()
		self.trigger("Completed", "Send notification", notification=notification.name)
		opp, request = self.sent_request()
		sign_everyone(request)
		queued = frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Opportunity", "reference_name": opp.name},
			fields=["message"],
		)
		self.assertTrue(any(f"Signed: {opp.name}" in q.message for q in queued))

	def test_declined_comment_escapes_the_signers_reason(self):
		self.trigger("Declined", "Add comment", comment_text="Declined: {{ request.declined_reason }}")
		opp, request = self.sent_request()
		row = next(r for r in request.signers if r.status == "Pending")
		requests.decline(request, row, "<img src=x onerror=alert(1)>")
		content = frappe.get_all(
			"Comment",
			filters={"reference_name": opp.name, "content": ("like", "Declined:%")},
			pluck="content",
		)
		self.assertEqual(len(content), 1)
		self.assertNotIn("<img", content[0])
		self.assertIn("img src=x onerror=alert(1)", content[0], "the reason's text is kept, harmless")

	def test_expired_sets_a_field(self):
		self.trigger("Expired", "Set field", set_field="status", set_value="Closed")
		opp, request = self.sent_request()
		request.db_set("expires_on", add_days(now_datetime(), -1))
		scheduler.expire_requests()
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Expired")
		self.assertEqual(frappe.db.get_value("Opportunity", opp.name, "status"), "Closed")
		self.assertIn("expired", [e.event for e in chain_of(request.name)])

	def test_only_templates_limits_a_trigger(self):
		other = make_template("Opportunity", "Test NDA Opportunity")
		self.trigger("Viewed", "Add comment", comment_text="seen", only_templates=[{"template": other}])
		opp, request = self.sent_request()
		requests.mark_viewed(request, next(r for r in request.signers if r.status == "Pending"))
		self.assertFalse(frappe.get_all("Comment", filters={"reference_name": opp.name, "content": "seen"}))

	def test_a_failing_action_is_logged_and_keeps_the_signature(self):
		self.trigger("Signed by counterparty", "Set field", set_field="party_name", set_value="NO-SUCH-LEAD")
		self.trigger("Signed by counterparty", "Add comment", comment_text="still runs")
		opp, request = self.sent_request()
		row = sign_next(request, "Counterparty")
		self.assertEqual(frappe.db.get_value("Sign Request Signer", row.name, "status"), "Signed")
		self.assertEqual(frappe.db.get_value("Opportunity", opp.name, "party_name"), self.lead.name)
		runs = runs_for(opp, kind="Trigger")
		self.assertEqual([r.status for r in runs], ["Failed", "Done"])
		self.assertIn("NO-SUCH-LEAD", runs[0].detail)
		self.assertTrue(frappe.get_all("Error Log", filters={"reference_name": opp.name}))

	def test_actions_run_as_the_rules_owner(self):
		"""Finding 13.4: triggers ran as the request owner, with rights the rule's author may not have."""
		owner = make_user("auto.owner@example.com", ["Sales User", "Sign User"])
		self.trigger("Viewed", "Add comment", comment_text="seen by owner's rule")
		opp = self.deal()
		with self.set_user(owner):
			request = requests.create_sign_request(frappe.get_doc("Opportunity", opp.name), self.template)
		requests.mark_viewed(request, next(r for r in request.signers if r.status == "Pending"))
		comment = frappe.get_all(
			"Comment", filters={"reference_name": opp.name, "content": "seen by owner's rule"}, pluck="owner"
		)
		self.assertEqual(comment, ["Administrator"])  # the rule's owner, not the request's
		self.assertEqual(frappe.session.user, "Administrator")  # the caller's user is restored


class TestWorkflowIntegration(AutomationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_workflow_state_field("Opportunity")

	def make_deal_workflow(self, template: str | None = None, **values):
		return make_workflow(
			"Opportunity",
			"Deal signature flow (crm_sign test)",
			states=[
				{"state": "Draft"},
				{
					"state": "Contract Sent",
					"crm_sign_template": self.template if template is None else template,
				},
				{"state": "Approved"},
				{"state": "Rejected"},
			],
			transitions=[
				{"state": "Draft", "action": "Send Contract", "next_state": "Contract Sent"},
				{"state": "Contract Sent", "action": "Approve", "next_state": "Approved"},
				{"state": "Contract Sent", "action": "Reject", "next_state": "Rejected"},
			],
			**values,
		)

	def test_workflow_fields_exist(self):
		self.assertTrue(frappe.get_meta("Workflow Document State").get_field("crm_sign_template"))
		self.assertTrue(frappe.get_meta("Workflow Document State").get_field("crm_sign_company_signer"))
		self.assertTrue(frappe.get_meta("Workflow").get_field("crm_sign_on_complete_action"))
		self.assertTrue(frappe.get_meta("Workflow").get_field("crm_sign_on_decline_action"))

	def test_entering_a_state_with_a_template_sends_and_completion_applies_the_action(self):
		from frappe.model.workflow import apply_workflow

		self.make_deal_workflow(crm_sign_on_complete_action="Approve", crm_sign_on_decline_action="Reject")
		opp = self.deal()
		self.assertEqual(opp.workflow_state, "Draft")
		apply_workflow(opp, "Send Contract")
		sent = requests_for(opp)
		self.assertEqual([(r.template, r.status) for r in sent], [(self.template, "Sent")])
		self.assertEqual(runs_for(opp)[0].kind, "Workflow")

		sign_everyone(frappe.get_doc("Sign Request", sent[0].name))
		self.assertEqual(frappe.db.get_value("Opportunity", opp.name, "workflow_state"), "Approved")

	def test_declining_applies_the_decline_action(self):
		from frappe.model.workflow import apply_workflow

		self.make_deal_workflow(crm_sign_on_complete_action="Approve", crm_sign_on_decline_action="Reject")
		opp = self.deal()
		apply_workflow(opp, "Send Contract")
		request = frappe.get_doc("Sign Request", requests_for(opp)[0].name)
		requests.decline(request, next(r for r in request.signers if r.status == "Pending"), "No")
		self.assertEqual(frappe.db.get_value("Opportunity", opp.name, "workflow_state"), "Rejected")

	def test_workflow_state_rule_and_workflow_action_trigger(self):
		from frappe.model.workflow import apply_workflow

		self.make_deal_workflow(template="")  # the rule sends, not the state
		rule = make_automation_rule(
			template=self.template, stage_type="Workflow State", stage_value="Contract Sent"
		)
		self.assertEqual(rule.stage_field, "workflow_state")
		make_automation_rule(
			title="Approve when signed",
			rule_kind="Trigger",
			trigger_event="Completed",
			action="Apply workflow action",
			workflow_action="Approve",
		)
		opp = self.deal()
		apply_workflow(opp, "Send Contract")
		sent = requests_for(opp)
		self.assertEqual(len(sent), 1)
		sign_everyone(frappe.get_doc("Sign Request", sent[0].name))
		self.assertEqual(frappe.db.get_value("Opportunity", opp.name, "workflow_state"), "Approved")

	def test_workflow_refuses_a_template_of_another_doctype_and_unknown_actions(self):
		with self.assertRaises(frappe.ValidationError) as caught:
			self.make_deal_workflow(template=make_template("Lead"))
		self.assertIn("is for Lead", str(caught.exception))
		if not frappe.db.exists("Workflow Action Master", "Archive Deal"):
			frappe.get_doc(
				{"doctype": "Workflow Action Master", "workflow_action_name": "Archive Deal"}
			).insert()
		with self.assertRaises(frappe.ValidationError) as caught:
			self.make_deal_workflow(crm_sign_on_complete_action="Archive Deal")
		self.assertIn("no transition", str(caught.exception))


class TestPermissions(AutomationTestCase):
	def test_a_user_who_may_not_sign_moves_the_stage_and_the_rule_owner_sends(self):
		clerk = make_user("auto.clerk@example.com", ["Sales User"])
		make_automation_rule(template=self.template)
		opp = self.deal()
		with self.set_user(clerk):
			move(frappe.get_doc("Opportunity", opp.name), sales_stage=PROPOSAL)
		sent = requests_for(opp)
		self.assertEqual([r.owner for r in sent], ["Administrator"])
		self.assertEqual(runs_for(opp)[0].run_as, "Administrator")
		self.assertFalse(frappe.has_permission("Sign Request", "read", sent[0].name, user=clerk))
		with self.set_user(clerk):
			try:
				visible = frappe.get_list("Sign Request", pluck="name")
			except frappe.PermissionError:
				visible = []
		self.assertNotIn(sent[0].name, visible)

	def test_a_user_who_may_sign_sends_as_themselves(self):
		seller = make_user("auto.seller@example.com", ["Sales User", "Sign User"])
		make_automation_rule(template=self.template)
		opp = self.deal()
		with self.set_user(seller):
			move(frappe.get_doc("Opportunity", opp.name), sales_stage=PROPOSAL)
		self.assertEqual([r.owner for r in requests_for(opp)], [seller])

	def test_a_guest_created_record_is_sent_by_the_rule_owner(self):
		template = make_template("Lead")
		make_automation_rule(
			reference_doctype="Lead", stage_field="status", stage_value="Open", template=template
		)
		frappe.set_user("Guest")
		lead = new_lead("web.form", status="Open")
		self.assertEqual(frappe.session.user, "Guest")
		frappe.set_user("Administrator")
		self.assertEqual([r.owner for r in requests_for(lead)], ["Administrator"])


class TestRemindersAndExpiry(AutomationTestCase):
	def sent_request(self, template: str | None = None):
		opp = self.deal()
		return requests.create_sign_request(opp, template or self.template, channel="Email")

	def pending(self, request):
		request.reload()
		return next(r for r in request.signers if r.status == "Pending")

	def test_reminds_every_interval_up_to_the_maximum(self):
		request = self.sent_request()  # Sign Settings: every 3 days, at most 3
		row = self.pending(request)
		scheduler.send_reminders()
		self.assertEqual(frappe.db.get_value("Sign Request Signer", row.name, "reminders_sent"), 0)

		for expected in (1, 2, 3, 3):
			last = frappe.db.get_value("Sign Request Signer", row.name, "last_reminder_on") or row.sent_on
			frappe.db.set_value("Sign Request Signer", row.name, "last_reminder_on", add_days(last, -4))
			scheduler.send_reminders()
			self.assertEqual(frappe.db.get_value("Sign Request Signer", row.name, "reminders_sent"), expected)
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "reminders_sent"), 3)
		self.assertEqual([e.event for e in chain_of(request.name)].count("reminded"), 3)
		mails = frappe.get_all(
			"Email Queue", filters={"reference_doctype": "Sign Request", "reference_name": request.name}
		)
		self.assertEqual(len(mails), 4)  # the invitation and three reminders

	def test_template_reminder_policy_wins_over_settings(self):
		template = make_template(
			"Opportunity", "Test Reminder Opportunity", reminder_interval_days=1, max_reminders=1
		)
		request = self.sent_request(template)
		row = self.pending(request)
		frappe.db.set_value("Sign Request Signer", row.name, "sent_on", add_days(row.sent_on, -2))
		self.assertEqual(scheduler.reminder_policy(template), (1, 1))
		scheduler.send_reminders()
		scheduler.send_reminders()
		self.assertEqual(frappe.db.get_value("Sign Request Signer", row.name, "reminders_sent"), 1)

	def test_expired_requests_close(self):
		request = self.sent_request()
		fresh = self.sent_request()
		request.db_set("expires_on", add_days(now_datetime(), -1))
		scheduler.expire_requests()
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Expired")
		self.assertEqual(frappe.db.get_value("Sign Request", fresh.name, "status"), "Sent")
		request.reload()
		self.assertFalse(scheduler.remind_request(request))  # an expired request is not reminded


class TestIndexAndBoard(AutomationTestCase):
	def test_hooks_resolve(self):
		hooks = frappe.get_hooks(app_name="crm_sign")
		paths = list(hooks.get("crm_sign_event") or [])
		paths += (hooks.get("scheduler_events") or {}).get("hourly", [])
		for events in (hooks.get("doc_events") or {}).values():
			for methods in events.values():
				paths += methods if isinstance(methods, list) else [methods]
		self.assertIn("crm_sign.automation.triggers.on_sign_event", paths)
		self.assertIn("crm_sign.automation.rules.on_record_saved", paths)
		for path in paths:
			self.assertTrue(callable(frappe.get_attr(path)), path)

	def test_a_doctype_without_rules_costs_no_query(self):
		lead = new_lead("no.rules")
		get_index("Lead")
		with self.assertQueryCount(0):
			on_record_saved(lead, "on_update")

	def test_a_save_that_enters_no_stage_costs_no_query(self):
		make_automation_rule(template=self.template)
		opp = move(self.deal(), probability=40)
		with self.assertQueryCount(0):
			on_record_saved(opp, "on_update")

	def test_index_follows_rules(self):
		self.assertEqual(get_index("Opportunity"), {})
		rule = make_automation_rule(template=self.template)
		self.assertEqual(get_index("Opportunity")["watch"], {"sales_stage": [PROPOSAL]})
		rule.enabled = 0
		rule.save()
		self.assertEqual(get_index("Opportunity"), {})

	def test_kanban_board_and_number_cards(self):
		board = frappe.get_doc("Kanban Board", BOARD_NAME)
		self.assertEqual(board.field_name, "status")
		self.assertIn("Completed", [c.column_name for c in board.columns])

		def count(card: str) -> float:
			doc = frappe.get_doc("Number Card", card)
			return get_result(doc.as_dict(), doc.filters_json)

		customer, us = count("Sign Requests Waiting for Customer"), count("Sign Requests Waiting for Us")
		request = requests.create_sign_request(self.deal(), self.template, channel="Email")
		self.assertEqual(count("Sign Requests Waiting for Customer"), customer + 1)
		sign_next(request, "Counterparty")
		self.assertEqual(count("Sign Requests Waiting for Us"), us + 1)
		completed = count("Sign Requests Completed This Month")
		sign_next(request, "Company")
		self.assertEqual(count("Sign Requests Completed This Month"), completed + 1)
		self.assertGreaterEqual(count("Sign Requests Declined This Month"), 0)

	def test_status_cannot_be_dragged_on_the_board(self):
		request = requests.create_sign_request(self.deal(), self.template, channel="Email")
		with self.assertRaises(frappe.PermissionError) as caught:
			frappe.client.set_value("Sign Request", request.name, "status", "Completed")
		self.assertIn("cannot be changed after it was sent", str(caught.exception))
