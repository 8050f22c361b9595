"""Records shared by the integration tests: CRM records, a template, settings for delivery."""

from __future__ import annotations

import frappe

from crm_sign.engine.samples import sample_contract_pdf

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

TEMPLATE_FIELDS = [
	# a prefilled value placed by box, and signer fields found through the document's anchor tags
	{
		"field_label": "Customer",
		"field_type": "Text",
		"filled_by": "Prefilled",
		"source": "name",
		"page": 1,
		"pos_x": 0.35,
		"pos_y": 0.80,
		"width": 0.5,
		"height": 0.03,
	},
	{
		"field_label": "Company signature",
		"field_type": "Signature",
		"filled_by": "Company",
		"anchor": "{{sign:company}}",
	},
	{
		"field_label": "Company date",
		"field_type": "Date",
		"filled_by": "Company",
		"anchor": "{{date:company}}",
	},
	{
		"field_label": "Client name",
		"field_type": "Full Name",
		"filled_by": "Counterparty",
		"anchor": "{{name:client}}",
	},
	{
		"field_label": "Client signature",
		"field_type": "Signature",
		"filled_by": "Counterparty",
		"anchor": "{{sign:client}}",
	},
	{
		"field_label": "Client date",
		"field_type": "Date",
		"filled_by": "Counterparty",
		"anchor": "{{date:client}}",
	},
]


def contract_file(name: str = "crm-sign-test-contract.pdf") -> str:
	url = frappe.db.get_value("File", {"file_name": name, "is_private": 1}, "file_url")
	if url:
		return url
	return (
		frappe.get_doc(
			{"doctype": "File", "file_name": name, "content": sample_contract_pdf(pages=2), "is_private": 1}
		)
		.insert(ignore_permissions=True)
		.file_url
	)


def make_template(doctype: str, name: str | None = None, **overrides) -> str:
	name = name or f"Test Contract {doctype}"
	if frappe.db.exists("Sign Template", name):
		return name
	doc = frappe.get_doc(
		{
			"doctype": "Sign Template",
			"template_name": name,
			"reference_doctype": doctype,
			"source_type": "Uploaded PDF",
			"pdf_file": contract_file(),
			"signing_order": "Counterparty first",
			"fields": TEMPLATE_FIELDS,
			**overrides,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


def make_lead(email: str | None = "ayse.yilmaz@example.com", mobile: str | None = "+905321112233", **extra):
	return frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": extra.pop("first_name", "Ayşe"),
			"last_name": extra.pop("last_name", "Yılmaz"),
			"email_id": email,
			"mobile_no": mobile,
			**extra,
		}
	).insert(ignore_permissions=True)


def make_contact(email: str = "mehmet@example.com", mobile: str = "+905339998877"):
	contact = frappe.get_doc({"doctype": "Contact", "first_name": "Mehmet", "last_name": "Öztürk"})
	contact.add_email(email, is_primary=1)
	contact.add_phone(mobile, is_primary_mobile_no=1)
	return contact.insert(ignore_permissions=True)


def make_opportunity(lead, contact=None, **extra):
	company = (
		frappe.defaults.get_global_default("company") or frappe.get_all("Company", pluck="name", limit=1)[0]
	)
	return frappe.get_doc(
		{
			"doctype": "Opportunity",
			"opportunity_from": "Lead",
			"party_name": lead.name,
			"company": company,
			"contact_person": contact.name if contact else None,
			"transaction_date": frappe.utils.nowdate(),
			**extra,
		}
	).insert(ignore_permissions=True)


def use_twilio(api_url: str) -> None:
	settings = frappe.get_single("Sign Settings")
	settings.update(
		{
			"sms_provider": "Twilio",
			"twilio_account_sid": "AC" + "1" * 32,
			"twilio_auth_token": "test-token",
			"twilio_from_number": "+15005550006",
		}
	)
	settings.flags.ignore_permissions = True
	settings.save()
	frappe.conf["crm_sign_twilio_api_url"] = api_url
	frappe.clear_document_cache("Sign Settings", "Sign Settings")


def make_user(email: str, roles: list[str]) -> str:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		)
		user.insert(ignore_permissions=True)
		user.add_roles(*roles)
	return email


def ensure_outgoing_email_account() -> None:
	"""A default outgoing account, so queued mail has a sender (tests never reach an SMTP server)."""
	frappe.flags.mute_emails = False
	frappe.flags.sent_mail = None
	if frappe.db.exists("Email Account", "crm_sign test outgoing"):
		return
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": "crm_sign test outgoing",
			"email_id": "crm-sign@example.com",
			"domain": "example.com",
			"smtp_server": "127.0.0.1",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"password": "not-used",
			"enable_incoming": 0,
		}
	).insert(ignore_permissions=True)


def signature_data_url(name: str = "Ayşe Yılmaz") -> str:
	import base64

	from crm_sign.engine.samples import sample_signature_png

	return "data:image/png;base64," + base64.b64encode(sample_signature_png(name)).decode()


def sign_next(request, role: str | None = None):
	"""Sign as the first signer whose turn it is (or of `role`); returns the signed row."""
	from crm_sign.signing.requests import record_signature

	request.reload()
	row = next(
		r
		for r in request.signers
		if r.status in ("Pending", "Viewed") and (role is None or r.signer_role == role)
	)
	record_signature(request, row, {}, signature_data_url(row.signer_name or "Signer"))
	request.reload()
	return row


def sign_everyone(request):
	"""Every signer signs in turn; the last signature finalizes the request (inline in tests)."""
	request.reload()
	while any(r.status in ("Pending", "Viewed") for r in request.signers):
		sign_next(request)
	return request


def make_automation_rule(**values):
	"""A Sign Automation Rule (Rule kind by default: Opportunity entering a sales stage)."""
	doc = {
		"doctype": "Sign Automation Rule",
		"title": values.pop("title", "Test automation"),
		"rule_kind": "Rule",
		"reference_doctype": "Opportunity",
		"stage_type": "Field",
		"enabled": 1,
	}
	if values.get("rule_kind", "Rule") == "Rule":
		doc.update({"stage_field": "sales_stage", "stage_value": "Proposal/Price Quote"})
	doc.update(values)
	return frappe.get_doc(doc).insert()


def ensure_workflow_state_field(doctype: str, fieldname: str = "workflow_state") -> None:
	"""The column a Workflow needs, created once and committed: adding it later would be DDL, which
	commits implicitly in MariaDB and would end a test's transaction."""
	if frappe.get_meta(doctype).get_field(fieldname):
		return
	frappe.get_doc(
		{
			"doctype": "Custom Field",
			"dt": doctype,
			"fieldname": fieldname,
			"label": fieldname.replace("_", " ").title(),
			"fieldtype": "Link",
			"options": "Workflow State",
			"hidden": 1,
			"allow_on_submit": 1,
			"no_copy": 1,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()  # nosemgrep: a schema change, done once per site


def make_workflow(doctype: str, name: str, states: list[dict], transitions: list[dict], **values):
	"""An active Workflow; its states and actions are created when missing."""
	for state in states:
		if not frappe.db.exists("Workflow State", state["state"]):
			frappe.get_doc({"doctype": "Workflow State", "workflow_state_name": state["state"]}).insert(
				ignore_permissions=True
			)
	for transition in transitions:
		if not frappe.db.exists("Workflow Action Master", transition["action"]):
			frappe.get_doc(
				{"doctype": "Workflow Action Master", "workflow_action_name": transition["action"]}
			).insert(ignore_permissions=True)
	workflow = frappe.get_doc(
		{
			"doctype": "Workflow",
			"workflow_name": name,
			"document_type": doctype,
			"workflow_state_field": "workflow_state",
			"is_active": 1,
			"send_email_alert": 0,
			"states": [{"allow_edit": "System Manager", "doc_status": "0", **state} for state in states],
			"transitions": [
				{"allowed": "System Manager", "allow_self_approval": 1, **t} for t in transitions
			],
			**values,
		}
	)
	return workflow.insert(ignore_permissions=True)


def unique_email(name: str) -> str:
	"""Lead e-mails must be unique; other suites on the same site may have left theirs behind."""
	return f"{name}.{frappe.generate_hash(length=8)}@example.com"


class SignTestCase(IntegrationTestCase):
	"""Each test as Administrator, with an outgoing e-mail account, its writes rolled back after it."""

	def setUp(self):
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
