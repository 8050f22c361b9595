app_name = "crm_sign"
app_title = "CRM Sign"
app_publisher = "crm_sign contributors"
app_description = "Electronic signatures built into the Frappe/ERPNext CRM"
app_email = "dev@crm-sign.invalid"
app_license = "mit"

required_apps = ["frappe/erpnext"]

# Whitelisted methods must annotate every argument (enforced on v16, harmless on v15).
export_python_type_annotations = True
require_type_annotated_api_methods = True

# Desk: the Sign button on every doctype enabled in Sign Settings, timeline actions, the designer.
# A bundle name, resolved to its hashed file through assets.json (bench build).
app_include_js = ["crm_sign_desk.bundle.js"]
app_include_css = ["/assets/crm_sign/css/crm_sign_desk.css"]
boot_session = "crm_sign.boot.boot_session"

# The public signing page: /sign/<token> renders www/sign.html.
website_route_rules = [
	{"from_route": "/sign/verify", "to_route": "sign_verify"},  # the public verify page
	{"from_route": "/sign/start/<slug>", "to_route": "sign_start"},  # a template's public link
	{"from_route": "/sign/<token>", "to_route": "sign"},
]
# Referrer-Policy: no-referrer and no caching on the signing page and its guest endpoints.
after_request = ["crm_sign.signing.http_headers.after_request"]

additional_timeline_content = {"*": ["crm_sign.signing.timeline.sign_request_timeline"]}

# Permissions follow the CRM record the request belongs to.
has_permission = {
	"Sign Request": "crm_sign.signing.permissions.sign_request_has_permission",
	"Sign Audit Event": "crm_sign.signing.permissions.audit_event_has_permission",
}
permission_query_conditions = {
	"Sign Request": "crm_sign.signing.permissions.sign_request_query_conditions",
	"Sign Audit Event": "crm_sign.signing.permissions.audit_event_query_conditions",
	# Child rows are readable through /api/resource too: they follow their request.
	"Sign Request Signer": "crm_sign.signing.permissions.signer_query_conditions",
	"Sign Request Value": "crm_sign.signing.permissions.value_query_conditions",
	"Sign Request Document": "crm_sign.signing.permissions.document_query_conditions",
}

scheduler_events = {
	"cron": {
		"*/5 * * * *": [
			"crm_sign.signing.delivery.retry_failed_deliveries",
			# work a dead drain job left waiting (signing/work_queue.py)
			"crm_sign.automation.stage_queue.start_drains",
			"crm_sign.signing.finalize.start_drains",
		],
		"*/15 * * * *": ["crm_sign.signing.finalize.sweep_stuck_requests"],
	},
	"hourly": [
		"crm_sign.automation.scheduler.expire_requests",
		"crm_sign.automation.scheduler.send_reminders",
	],
}

# Stage automation: every save passes a cached per-doctype index first (crm_sign/automation/index.py).
# on_update also runs on insert (after after_insert), so a record created in a stage counts once.
doc_events = {
	"*": {
		"on_update": "crm_sign.automation.rules.on_record_saved",
		"on_update_after_submit": "crm_sign.automation.rules.on_record_saved",
	},
	"Workflow": {
		"validate": "crm_sign.automation.workflow.validate_workflow",
		"on_update": "crm_sign.automation.index.clear_index",
		"on_trash": "crm_sign.automation.index.clear_index",
	},
}

# Other apps can subscribe to signer events (viewed, signed, declined, completed, expired, cancelled);
# see crm_sign/signing/events.py. Our own triggers are the first subscriber.
crm_sign_event = ["crm_sign.automation.triggers.on_sign_event"]

# Installation
# ------------

after_install = "crm_sign.install.after_install"
after_migrate = "crm_sign.install.after_migrate"
before_uninstall = "crm_sign.install.before_uninstall"

# Testing
# -------

# ERPNext's setup fixtures (Company, Sales Stages, ...) must exist before our tests run.
before_tests = "crm_sign.install.before_tests"
