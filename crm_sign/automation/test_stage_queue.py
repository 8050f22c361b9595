"""Stage entries queued in Redis and worked off by drain jobs (automation/stage_queue.py).

The drain commits each entry, as it does in a worker, so this suite removes its rule at the end."""

import frappe

from crm_sign.automation import stage_queue
from crm_sign.automation.index import clear_index, get_index
from crm_sign.automation.runs import execute, run_key, start_run
from crm_sign.tests.fixtures import (
	ensure_outgoing_email_account,
	make_automation_rule,
	make_lead,
	make_template,
)

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase


QUEUE = stage_queue.STAGE_ENTRIES


def waiting() -> int:
	return QUEUE.waiting()


def slot_taken(slot: int) -> bool:
	return QUEUE.slot_taken(slot)


class TestStageQueue(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()
		QUEUE.clear()
		template = make_template("Lead")
		self.rule = make_automation_rule(
			title=f"Queue test {frappe.generate_hash(length=6)}",
			reference_doctype="Lead",
			stage_field="status",
			stage_value="Replied",
			template=template,
		)
		clear_index()
		self.source = next(r["source"] for r in get_index("Lead")["rules"] if r["name"] == self.rule.name)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.delete_doc("Sign Automation Rule", self.rule.name, force=True, ignore_permissions=True)
		clear_index()
		frappe.db.commit()  # the drain committed the rule with its entries
		QUEUE.clear()

	def entry(self, lead) -> dict:
		return self.entry_for(lead.name, str(lead.modified))

	def entry_for(self, name: str, entered_on: str = "2026-12-01 00:00:00") -> dict:
		return {
			"doctype": "Lead",
			"name": name,
			"sources": [self.source],
			"entered_on": entered_on,
			"user": "Administrator",
		}

	def test_a_drain_works_off_every_entry_then_frees_its_slot(self):
		leads = [
			make_lead(email=f"queue.{i}.{frappe.generate_hash(length=8)}@example.com", mobile=None)
			for i in range(3)
		]
		frappe.db.commit()  # entries are pushed once the save is committed
		# Both slots taken, as while drains run: pushing starts no other job.
		self.assertTrue(QUEUE.take_slot(0) and QUEUE.take_slot(1))
		for lead in leads:
			QUEUE.push(self.entry(lead))
		self.assertEqual(waiting(), 3)

		self.assertEqual(stage_queue.drain(0), 3)
		self.assertEqual(waiting(), 0)
		self.assertFalse(slot_taken(0))  # freed for the next push
		for lead in leads:
			self.assertEqual(
				frappe.get_all("Sign Request", filters={"reference_name": lead.name}, pluck="status"),
				["Sent"],
			)
		# A replayed entry sends nothing twice (the run key holds).
		QUEUE.push(self.entry(leads[0]))
		self.assertEqual(stage_queue.drain(0), 1)
		self.assertEqual(frappe.db.count("Sign Request", {"reference_name": leads[0].name}), 1)

	def test_an_entry_that_fails_is_logged_and_the_drain_goes_on(self):
		lead = make_lead(email=f"queue.ok.{frappe.generate_hash(length=8)}@example.com", mobile=None)
		frappe.db.commit()
		self.assertTrue(QUEUE.take_slot(0) and QUEUE.take_slot(1))
		QUEUE.push({"doctype": "Lead", "name": lead.name, "sources": [self.source]})  # no entered_on
		QUEUE.push(self.entry(lead))
		self.assertEqual(stage_queue.drain(0), 2)
		self.assertEqual(frappe.db.count("Sign Request", {"reference_name": lead.name}), 1)
		self.assertTrue(
			frappe.db.exists("Error Log", {"reference_doctype": "Lead", "reference_name": lead.name})
		)

	def test_nothing_starts_for_an_empty_queue_and_a_backlog_gets_a_second_drain(self):
		stage_queue.start_drains()
		self.assertFalse(slot_taken(0) or slot_taken(1))
		self.assertTrue(QUEUE.take_slot(0))  # one drain is running
		for i in range(QUEUE.backlog + 1):  # entries of no record: a drain skips them
			frappe.cache.rpush(QUEUE.list, frappe.as_json(self.entry_for(f"CRM-LEAD-NONE-{i}")))
		stage_queue.start_drains()  # a second drain is queued for the backlog
		self.assertTrue(slot_taken(1))


class TestFailureAfterACommit(IntegrationTestCase):
	def test_an_action_that_committed_before_failing_leaves_a_failed_run(self):
		"""Frappe's print view commits its Access Log while a Print Format renders, which ends the
		run's savepoint: the run must still end Failed with its reason, not stay Running for ever."""
		frappe.set_user("Administrator")
		lead = make_lead(email=f"commit.{frappe.generate_hash(length=8)}@example.com", mobile=None)
		run = start_run(
			run_key("commit-midway", lead.name),
			kind="Rule",
			reference_doctype="Lead",
			reference_name=lead.name,
		)

		def commits_then_fails():
			frappe.db.commit()
			frappe.throw("the template does not match")

		self.assertFalse(execute(run, commits_then_fails, title="test"))
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("Sign Automation Run", run.name, "status"), "Failed")
		self.assertIn("does not match", frappe.db.get_value("Sign Automation Run", run.name, "detail"))
