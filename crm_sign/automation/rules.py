"""Stage rules: when a record enters a stage, generate the rule's document and send it for signature.

The save hook only decides; background jobs send (never inside the user's request, so bulk stage
moves stay fast), working the stage entries off a queue (automation/stage_queue.py). Matching reuses the engine (`entered_stage`, `condition_holds`) over the record as
it was saved, with the Sign Settings constants as variables.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import cint

from crm_sign.automation import stage_queue
from crm_sign.automation.index import get_index, rule_by_source
from crm_sign.automation.runs import RUN, as_user, execute, finish_run, pick_sender, run_key, start_run
from crm_sign.engine.errors import ExpressionError
from crm_sign.engine.rules import condition_holds, entered_stage

SEQUENTIAL = "One after another"
STOPPED = ("Declined", "Expired", "Cancelled")


def on_record_saved(doc, method: str | None = None) -> None:
	"""doc_events "*" on_update / on_update_after_submit. A doctype nothing watches costs one cached
	lookup; a save that enters no watched stage costs a comparison per watched field."""
	flags = frappe.flags
	if flags.in_install or flags.in_migrate or flags.in_patch or flags.in_import:
		return
	index = get_index(doc.doctype)
	watch = index.get("watch") if index else None
	if not watch:
		return
	before = doc.get_doc_before_save()
	if not any(_entered(doc, before, field, values) for field, values in watch.items()):
		return
	queue_stage_entry(doc, before, index)


def _entered(doc, before, field: str, values: list[str]) -> bool:
	value = doc.get(field)
	if value in (None, ""):
		return False
	value = str(value)
	return value in values and (before is None or str(before.get(field) or "") != value)


def queue_stage_entry(doc, before, index: dict[str, Any]) -> None:
	"""Match the rules of the stages `doc` entered and queue one job that sends their requests."""
	from crm_sign.signing.settings import site_variables

	record = doc.as_dict()
	old = before.as_dict() if before else None
	variables = site_variables()
	sources = [rule["source"] for rule in index["rules"] if _matches(rule, old, record, variables, doc)]
	if not sources:
		return
	entered_on = str(doc.modified)
	seen = doc.flags.crm_sign_stage_entries or set()
	if entered_on in seen:
		return  # the same save reported twice (e.g. a hook that saves again without changes)
	doc.flags.crm_sign_stage_entries = seen | {entered_on}
	entry = {
		"doctype": doc.doctype,
		"name": doc.name,
		"sources": sources,
		"entered_on": entered_on,
		"user": frappe.session.user,
	}
	if frappe.flags.in_test:
		run_stage_entry(**entry)  # the tests' transaction is never committed
	else:
		stage_queue.queue(entry)  # worked off by a drain job once this save commits


def _matches(rule: dict, old, record, variables, doc) -> bool:
	if not entered_stage(old, record, rule["stage_field"], rule["stage_value"]):
		return False
	try:
		return condition_holds(rule.get("condition") or "", record, variables)
	except ExpressionError as e:
		# A bad condition must not block the user's save: the rule does not fire and the log says why.
		frappe.log_error(
			title=_("Sign Automation Rule {0}: condition failed").format(rule["source"])[:140],
			message=str(e),
			reference_doctype=doc.doctype,
			reference_name=doc.name,
		)
		return False


def run_stage_entry(
	doctype: str, name: str, sources: list[str], entered_on: str, user: str | None = None
) -> None:
	"""Background job: one run per rule for this stage entry, in rule order."""
	if not frappe.db.exists(doctype, name):
		return
	doc = frappe.get_doc(doctype, name)
	rules = [rule for rule in (rule_by_source(doctype, source) for source in sources) if rule]
	for rule in rules:  # the index keeps rules in order (rule_order, then creation)
		process_rule(rule, doc, entered_on, user)


def process_rule(rule: dict, doc, entered_on: str, user: str | None) -> None:
	previous = frappe.get_all(
		RUN,
		filters={"source": rule["source"], "reference_doctype": doc.doctype, "reference_name": doc.name},
		pluck="status",
	)
	run = start_run(
		run_key(rule["source"], doc.doctype, doc.name, entered_on),
		kind=rule["kind"],
		rule=rule["name"],
		source=rule["source"],
		reference_doctype=doc.doctype,
		reference_name=doc.name,
		entered_on=entered_on,
		entry=len(previous) + 1,
		sequence=stage_position(rule, doc.doctype),
		run_as=user,
	)
	if run is None:
		return  # this entry was handled by an earlier job
	if not cint(rule["resend_on_reentry"]) and any(status in ("Sent", "Waiting") for status in previous):
		finish_run(
			run,
			"Skipped",
			_("Already sent when {0} entered {1} before; turn on Resend on Re-entry to send again").format(
				doc.name, rule["stage_value"]
			),
		)
		return
	hold = sequence_hold(rule, run)
	if hold:
		finish_run(run, *hold)
		return
	send(run, rule, doc)


def stage_rules(rule: dict, doctype: str) -> list[dict]:
	return [
		other
		for other in get_index(doctype).get("rules", [])
		if other["stage_field"] == rule["stage_field"] and other["stage_value"] == rule["stage_value"]
	]


def stage_position(rule: dict, doctype: str) -> int:
	sources = [other["source"] for other in stage_rules(rule, doctype)]
	return sources.index(rule["source"]) if rule["source"] in sources else 0


def sequence_hold(rule: dict, run) -> tuple[str, str] | None:
	"""("Waiting" | "Cancelled", why) when a One-after-another rule must not send yet, else None."""
	if rule.get("run_mode") != SEQUENTIAL:
		return None
	earlier = frappe.get_all(
		RUN,
		filters={
			"reference_doctype": run.reference_doctype,
			"reference_name": run.reference_name,
			"entered_on": run.entered_on,
			"source": ("in", [other["source"] for other in stage_rules(rule, run.reference_doctype)]),
			"sequence": ("<", run.sequence),
			"name": ("!=", run.name),
		},
		fields=["status", "sign_request", "source"],
		order_by="sequence asc",
	)
	for other in earlier:
		if other.status in ("Running", "Waiting"):
			return "Waiting", _("Waits for {0}").format(other.source)
		if other.status == "Sent":
			status = frappe.db.get_value("Sign Request", other.sign_request, "status")
			if status in STOPPED:
				return "Cancelled", _("{0} was {1}, so the next document is not sent").format(
					other.sign_request, _(status)
				)
			if status != "Completed":
				return "Waiting", _("Waits until {0} is completed").format(other.sign_request)
		if other.status in ("Failed", "Cancelled"):
			return "Cancelled", _(
				"The earlier rule {0} did not send, so the next document is not sent"
			).format(other.source)
	return None


def send(run, rule: dict, doc) -> None:
	"""Create and send the request as the user who saved, else as the rule's owner."""
	sender = pick_sender(doc, run.run_as, rule.get("owner"))
	if not sender:
		finish_run(
			run,
			"Failed",
			_("Neither {0} nor {1} may send signature requests for {2} {3}").format(
				run.run_as or "-", rule.get("owner") or "-", _(doc.doctype), doc.name
			),
		)
		return

	def create() -> tuple[str, str]:
		from crm_sign.signing.requests import create_sign_request

		request = create_sign_request(
			doc,
			rule["template"],
			channel=rule.get("channel") or None,
			company_signer=company_signer(rule, doc, sender),
			documents=[{"template": name} for name in rule.get("envelope_templates") or []],
		)
		run.db_set({"sign_request": request.name, "run_as": sender})
		return "Sent", _("Sent {0} for signature").format(request.name)

	with as_user(sender):
		execute(run, create, title=_("Stage automation {0} failed on {1}").format(rule["source"], doc.name))


def company_signer(rule: dict, doc, sender: str) -> str:
	"""The rule's user or field, else the template's, else the record's owner field (Sign Settings),
	else the sender. A field holding no active user (e.g. a lead a guest created, owned by Guest) is
	passed over instead of failing the rule."""
	from crm_sign.signing.settings import contact_fields

	template = (
		frappe.db.get_value(
			"Sign Template", rule["template"], ["company_signer", "company_signer_field"], as_dict=True
		)
		or frappe._dict()
	)
	try:
		record_field = contact_fields(doc.doctype).company_signer_field
	except frappe.ValidationError:
		record_field = ""
	candidates = [
		rule.get("company_signer"),
		doc.get(rule["company_signer_field"]) if rule.get("company_signer_field") else None,
		template.company_signer,
		doc.get(template.company_signer_field) if template.company_signer_field else None,
		doc.get(record_field) if record_field else None,
	]
	return next((user for user in candidates if _active_user(user)), sender)


def _active_user(user: str | None) -> bool:
	return bool(user) and user != "Guest" and bool(frappe.db.get_value("User", user, "enabled"))


def advance_sequence(request, event: str) -> None:
	"""After `request` completed (or stopped), send or cancel the rules waiting behind it."""
	origin = frappe.get_all(
		RUN,
		filters={"sign_request": request.name, "kind": ("in", ["Rule", "Workflow"])},
		fields=["entered_on", "reference_doctype", "reference_name"],
		limit=1,
	)
	if not origin:
		return
	origin = origin[0]
	waiting = frappe.get_all(
		RUN,
		filters={
			"reference_doctype": origin.reference_doctype,
			"reference_name": origin.reference_name,
			"entered_on": origin.entered_on,
			"status": "Waiting",
		},
		pluck="name",
		order_by="sequence asc",
	)
	if not waiting or not frappe.db.exists(origin.reference_doctype, origin.reference_name):
		return
	doc = frappe.get_doc(origin.reference_doctype, origin.reference_name)
	for name in waiting:
		run = frappe.get_doc(RUN, name)
		rule = rule_by_source(run.reference_doctype, run.source)
		if not rule:
			finish_run(run, "Cancelled", _("The rule was disabled or deleted"))
			continue
		hold = sequence_hold(rule, run)
		if hold and hold[0] == "Waiting":
			continue
		if hold:
			finish_run(run, *hold)
			continue
		send(run, rule, doc)
