"""Triggers: when a signer acts, act on the CRM record as the owner of the trigger's rule.

`on_sign_event` is the `crm_sign_event` subscriber. It costs a cached lookup when nothing watches the
record's doctype; otherwise it queues `run_sign_event`, which runs the matching triggers, the
workflow's configured action and the next One-after-another rule. A failing action is logged and shown
on its Sign Automation Run; it never undoes the signature.

A trigger acts with the rights of whoever wrote its rule, never those of the request's owner (an
administrator's save must not lend a Sign Manager's rule the right to change any record): it runs as
the rule's owner, checks their permission on the record first (and its last editor's), and says on
the record's timeline which rule acted and as whom, or that it was refused. Its texts are rendered
in the sandbox of `text_templates` over the record as the rule's owner may read it.
"""

from __future__ import annotations

from typing import Any

import frappe
from frappe import _
from frappe.utils import cint, escape_html, flt

from crm_sign.automation.index import get_index
from crm_sign.automation.runs import as_user, execute, finish_run, run_key, start_run
from crm_sign.signing.text_templates import record_values, render_text

EVENT_LABELS = {
	"viewed": "Viewed",
	"completed": "Completed",
	"declined": "Declined",
	"expired": "Expired",
}
SEQUENCE_EVENTS = ("completed", "declined", "expired", "cancelled")
# What an action needs on the record: changing it needs write, adding to its timeline needs read.
ACTION_PERMISSION = {
	"Set field": "write",
	"Apply workflow action": "write",
	"Add comment": "read",
	"Create ToDo": "read",
	"Send notification": "read",
}
CHANGES_RECORD = ("Set field", "Apply workflow action")
DEFAULT_TODO_TEXT = "{{ event }}: {{ request.title }}"


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
	"""Background job (the event may come from a guest's signature). Each trigger runs as its rule's
	owner; the workflow's own action and the sequence run as the request's owner."""
	event = sign_event
	request = frappe.get_doc("Sign Request", request_name)
	if not frappe.db.exists(request.reference_doctype, request.reference_name):
		return
	signer = next((row for row in request.signers if row.name == signer_name), None)
	index = get_index(request.reference_doctype)
	label = trigger_event(event, signer)
	for trigger in matching_triggers(index, request.template, label) if label else []:
		owner = trigger.get("owner")
		with as_user(owner if _active_user(owner) else None):
			run_trigger(trigger, request, event, label, signer)
	with as_user(request.owner):
		action = workflow_action_for(index, event)
		if action:
			run_workflow_action(index["workflow"], action, request, event)
		if index.get("sequential") and event in SEQUENCE_EVENTS:
			from crm_sign.automation.rules import advance_sequence

			advance_sequence(request, event)


def run_trigger(trigger: dict, request, event: str, label: str, signer=None) -> None:
	"""Run one trigger as the session user (the rule's owner, set by the caller)."""
	owner = trigger.get("owner")
	run = start_run(
		run_key(trigger["name"], request.name, event, signer.name if signer else ""),
		kind="Trigger",
		rule=trigger["name"],
		source=trigger["name"],
		reference_doctype=request.reference_doctype,
		reference_name=request.reference_name,
		sign_request=request.name,
		event=label,
		run_as=owner if _active_user(owner) else None,
	)
	if run is None:
		return
	refusal = permission_refusal(trigger, request)
	if refusal:
		finish_run(run, "Failed", refusal)
		timeline_note(request, refusal)
		return
	action = ACTIONS[trigger["action"]]

	def act() -> tuple[str, str]:
		status, detail = action(trigger, request, signer, label)
		if trigger["action"] in CHANGES_RECORD:
			# Its own line on the timeline, whether or not the doctype tracks changes: why the deal moved.
			timeline_note(
				request,
				_("{0} because {1} was {2} (Sign automation rule {3}, as {4})").format(
					detail,
					request.name,
					event_phrase(label),
					rule_label(trigger),
					frappe.utils.get_fullname(frappe.session.user),
				),
			)
		return status, detail

	execute(
		run,
		act,
		title=_("Sign trigger {0} failed on {1}").format(trigger["name"], request.reference_name),
	)


def permission_refusal(trigger: dict, request) -> str | None:
	"""Why the trigger may not act on the record, or None when it may. It acts as the rule's owner;
	whoever edited the rule last needs the permission too, or editing an administrator's rule would
	lend the editor the administrator's rights."""
	owner = trigger.get("owner")
	if not _active_user(owner):
		return _("Sign automation rule {0} did not act: its owner {1} is not an active user").format(
			rule_label(trigger), owner or "-"
		)
	ptype = ACTION_PERMISSION.get(trigger["action"], "write")
	for user in dict.fromkeys(filter(None, (owner, trigger.get("modified_by")))):
		if frappe.has_permission(request.reference_doctype, ptype, request.reference_name, user=user):
			continue
		message = (
			_("Sign automation rule {0} did not act: {1} may not change {2} {3}")
			if ptype == "write"
			else _("Sign automation rule {0} did not act: {1} may not read {2} {3}")
		)
		return message.format(rule_label(trigger), user, _(request.reference_doctype), request.reference_name)
	return None


def event_phrase(label: str) -> str:
	"""A trigger's event label as the end of "... because SIGN-0001 was ..."."""
	phrases = {
		"Viewed": _("viewed"),
		"Signed by company": _("signed by the company"),
		"Signed by counterparty": _("signed by the customer"),
		"Completed": _("completed"),
		"Declined": _("declined"),
		"Expired": _("expired"),
	}
	return phrases.get(label, _(label))


def rule_label(trigger: dict) -> str:
	title = trigger.get("title")
	return f"{title} ({trigger['name']})" if title and title != trigger["name"] else trigger["name"]


def timeline_note(request, text: str) -> None:
	"""An Info line on the record's timeline (escaped: rule titles are user text)."""
	doc = _record(request)
	doc.add_comment("Info", escape_html(text))


def _active_user(user: str | None) -> bool:
	return bool(user) and user != "Guest" and bool(frappe.db.get_value("User", user, "enabled"))


def run_workflow_action(workflow: dict, action: str, request, event: str) -> None:
	"""The workflow's own action, as the request's owner (the session user here); Frappe's workflow
	checks that their roles allow the transition."""
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
	user = frappe.session.user
	if not frappe.has_permission(request.reference_doctype, "write", request.reference_name, user=user):
		refusal = _("Workflow {0} did not apply {1}: {2} may not change {3} {4}").format(
			workflow["name"], action, user, _(request.reference_doctype), request.reference_name
		)
		finish_run(run, "Failed", refusal)
		timeline_note(request, refusal)
		return

	def act() -> tuple[str, str]:
		status, detail = apply_action(request.reference_doctype, request.reference_name, action)
		timeline_note(
			request,
			_("{0} because {1} was {2} (Workflow {3}, as {4})").format(
				detail,
				request.name,
				event_phrase(EVENT_LABELS[event]),
				workflow["name"],
				frappe.utils.get_fullname(user),
			),
		)
		return status, detail

	execute(
		run,
		act,
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
	comment = doc.add_comment(
		"Info", trigger_text(trigger, trigger["comment_text"], doc, request, signer, label)
	)
	return "Done", _("Added comment {0}").format(comment.name)


def create_todo(trigger: dict, request, signer, label: str) -> tuple[str, str]:
	doc = _record(request)
	text = trigger.get("comment_text") or DEFAULT_TODO_TEXT
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": trigger.get("todo_user") or request.owner,
			"reference_type": doc.doctype,
			"reference_name": doc.name,
			"description": trigger_text(trigger, text, doc, request, signer, label),
			"assigned_by": frappe.session.user,
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


def trigger_text(trigger: dict, text: str, doc, request, signer, label: str) -> str:
	"""The trigger's text in the sandbox (HTML: what signers typed is escaped) over the record as the
	session user (the rule's owner) may read it, the request and the signer. A text that cannot be
	rendered raises TextTemplateError, which fails the run with the reason."""
	context = {
		"doc": record_values(doc),
		"event": _(label),
		"request": {
			"name": request.name,
			"title": request.title or "",
			"status": request.status,
			"template": request.template,
			"declined_reason": request.declined_reason or "",
			"signed_pdf": request.signed_pdf,
		},
		"signer": {
			"signer_name": signer.signer_name or "" if signer else "",
			"signer_role": signer.signer_role if signer else "",
			"email": signer.email or "" if signer else "",
		},
	}
	return render_text(
		text,
		context,
		html=True,
		label=_("The text of Sign Automation Rule {0}").format(rule_label(trigger)),
	)
