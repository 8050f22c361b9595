"""Triggers: when a signer acts, act on the CRM record as the request's owner.

`on_sign_event` is the `crm_sign_event` subscriber. It costs a cached lookup when nothing watches the
record's doctype; otherwise it queues `run_sign_event`, which runs the matching triggers, the
workflow's configured action and the next One-after-another rule. A failing action is logged and shown
on its Sign Automation Run; it never undoes the signature.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import cint, escape_html, flt

from crm_sign.automation.index import get_index
from crm_sign.automation.runs import as_user, execute, run_key, start_run

EVENT_LABELS = {
	"viewed": "Viewed",
	"completed": "Completed",
	"declined": "Declined",
	"expired": "Expired",
}
SEQUENCE_EVENTS = ("completed", "declined", "expired", "cancelled")


def trigger_event(event: str, signer=None) -> str | None:
	"""The Trigger's event label for a sign event ("signed" splits by the signer's role)."""
	if event == "signed":
		return "Signed by company" if signer and signer.signer_role == "Company" else "Signed by counterparty"
	return EVENT_LABELS.get(event)


def on_sign_event(request, event: str, signer=None) -> None:
	index = get_index(request.reference_doctype)
	if not index or not has_work(index, request, event, signer):
		return
	frappe.enqueue(
		"crm_sign.automation.triggers.run_sign_event",
		queue="short",
		request_name=request.name,
		sign_event=event,  # `event` is frappe.enqueue's own argument
		signer_name=signer.name if signer else None,
		now=bool(frappe.flags.in_test),
		enqueue_after_commit=True,
	)


def has_work(index: dict[str, Any], request, event: str, signer=None) -> bool:
	label = trigger_event(event, signer)
	if label and matching_triggers(index, request.template, label):
		return True
	if workflow_action_for(index, event):
		return True
	return bool(index.get("sequential")) and event in SEQUENCE_EVENTS


def matching_triggers(index: dict[str, Any], template: str | None, label: str) -> list[dict]:
	return [
		trigger
		for trigger in index.get("triggers", [])
		if trigger["trigger_event"] == label
		and (not trigger["only_templates"] or template in trigger["only_templates"])
	]


def workflow_action_for(index: dict[str, Any], event: str) -> str | None:
	workflow = index.get("workflow") or {}
	if event == "completed":
		return workflow.get("on_complete")
	if event == "declined":
		return workflow.get("on_decline")
	return None


def run_sign_event(request_name: str, sign_event: str, signer_name: str | None = None) -> None:
	"""Background job, run as the request's owner (the event may come from a guest's signature)."""
	event = sign_event
	request = frappe.get_doc("Sign Request", request_name)
	if not frappe.db.exists(request.reference_doctype, request.reference_name):
		return
	signer = next((row for row in request.signers if row.name == signer_name), None)
	index = get_index(request.reference_doctype)
	label = trigger_event(event, signer)
	with as_user(request.owner):
		for trigger in matching_triggers(index, request.template, label) if label else []:
			run_trigger(trigger, request, event, label, signer)
		action = workflow_action_for(index, event)
		if action:
			run_workflow_action(index["workflow"], action, request, event)
		if index.get("sequential") and event in SEQUENCE_EVENTS:
			from crm_sign.automation.rules import advance_sequence

			advance_sequence(request, event)


def run_trigger(trigger: dict, request, event: str, label: str, signer=None) -> None:
	run = start_run(
		run_key(trigger["name"], request.name, event, signer.name if signer else ""),
		kind="Trigger",
		rule=trigger["name"],
		source=trigger["name"],
		reference_doctype=request.reference_doctype,
		reference_name=request.reference_name,
		sign_request=request.name,
		event=label,
		run_as=frappe.session.user,
	)
	if run is None:
		return
	action = ACTIONS[trigger["action"]]
	execute(
		run,
		lambda: action(trigger, request, signer, label),
		title=_("Sign trigger {0} failed on {1}").format(trigger["name"], request.reference_name),
	)


def run_workflow_action(workflow: dict, action: str, request, event: str) -> None:
	from crm_sign.automation.workflow import apply_action

	run = start_run(
		run_key("workflow", workflow["name"], request.name, event),
		kind="Workflow",
		source=f"Workflow:{workflow['name']}",
		reference_doctype=request.reference_doctype,
		reference_name=request.reference_name,
		sign_request=request.name,
		event=EVENT_LABELS[event],
		run_as=frappe.session.user,
	)
	if run is None:
		return
	execute(
		run,
		lambda: apply_action(request.reference_doctype, request.reference_name, action),
		title=_("Workflow action {0} failed on {1}").format(action, request.reference_name),
	)


def _record(request):
	return frappe.get_doc(request.reference_doctype, request.reference_name)


def set_field(trigger: dict, request, signer, label: str) -> tuple[str, str]:
	"""Save (not db_set) so the record's own hooks and the stage rules run, e.g. the next stage's rule."""
	doc = _record(request)
	df = doc.meta.get_field(trigger["set_field"])
	value: Any = trigger.get("set_value") or None
	if df and df.fieldtype in ("Int", "Check"):
		value = cint(value)
	elif df and df.fieldtype in ("Float", "Currency", "Percent"):
		value = flt(value)
	doc.set(trigger["set_field"], value)
	doc.save()
	return "Done", _("Set {0} to {1}").format(_(df.label if df else trigger["set_field"]), value or "")


def apply_workflow_action(trigger: dict, request, signer, label: str) -> tuple[str, str]:
	from crm_sign.automation.workflow import apply_action

	return apply_action(request.reference_doctype, request.reference_name, trigger["workflow_action"])


def add_comment(trigger: dict, request, signer, label: str) -> tuple[str, str]:
	doc = _record(request)
	comment = doc.add_comment("Info", render_text(trigger["comment_text"], doc, request, signer, label))
	return "Done", _("Added comment {0}").format(comment.name)


def create_todo(trigger: dict, request, signer, label: str) -> tuple[str, str]:
	doc = _record(request)
	text = trigger.get("comment_text") or _("{0}: {1}").format(_(label), escape_html(request.title or ""))
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": trigger.get("todo_user") or request.owner,
			"reference_type": doc.doctype,
			"reference_name": doc.name,
			"description": render_text(text, doc, request, signer, label),
			"assigned_by": request.owner,
		}
	).insert(ignore_permissions=True)
	return "Done", _("Created ToDo {0} for {1}").format(todo.name, todo.allocated_to)


def send_notification(trigger: dict, request, signer, label: str) -> tuple[str, str]:
	from frappe.email.doctype.notification.notification import evaluate_alert

	notification = frappe.get_doc("Notification", trigger["notification"])
	if not notification.enabled:
		return "Skipped", _("Notification {0} is disabled").format(notification.name)
	evaluate_alert(_record(request), notification, "Method")
	return "Done", _("Sent notification {0}").format(notification.name)


ACTIONS = {
	"Set field": set_field,
	"Apply workflow action": apply_workflow_action,
	"Add comment": add_comment,
	"Create ToDo": create_todo,
	"Send notification": send_notification,
}


def render_text(text: str, doc, request, signer, label: str) -> str:
	"""Jinja over the record, the request and the signer; what signers typed is escaped."""
	context = {
		"doc": doc,
		"event": _(label),
		"request": frappe._dict(
			name=request.name,
			title=escape_html(request.title or ""),
			status=request.status,
			template=request.template,
			declined_reason=escape_html(request.declined_reason or ""),
			signed_pdf=request.signed_pdf,
		),
		"signer": frappe._dict(
			signer_name=escape_html(signer.signer_name or "") if signer else "",
			signer_role=signer.signer_role if signer else "",
			email=escape_html(signer.email or "") if signer else "",
		),
	}
	return frappe.render_template(text or "", context)
