"""The app installs on a site with ERPNext and its hooks resolve."""

import frappe

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase


class TestInstall(IntegrationTestCase):
	def test_installed_beside_erpnext(self):
		apps = frappe.get_installed_apps()
		self.assertIn("crm_sign", apps)
		self.assertLess(apps.index("erpnext"), apps.index("crm_sign"))

	def test_every_dotted_hook_resolves(self):
		hooks = frappe.get_hooks(app_name="crm_sign")
		paths = []
		for key in ("after_install", "after_migrate", "before_uninstall", "before_tests", "boot_session"):
			paths += hooks.get(key) or []
		for mapping in ("has_permission", "permission_query_conditions", "additional_timeline_content"):
			for methods in (hooks.get(mapping) or {}).values():
				paths += methods
		for methods in (hooks.get("scheduler_events") or {}).get("cron", {}).values():
			paths += methods
		self.assertGreater(len(paths), 8)
		for path in paths:
			self.assertTrue(callable(frappe.get_attr(path)), path)

	def test_every_row_of_a_sign_request_follows_its_record(self):
		"""Child rows are listed through /api/resource too: each child table of Sign Request needs its
		query condition, or a user who may read one record lists every request's rows."""
		conditions = frappe.get_hooks("permission_query_conditions", app_name="crm_sign")
		tables = [df.options for df in frappe.get_meta("Sign Request").get_table_fields()]
		self.assertIn("Sign Request Document", tables)
		for table in tables:
			self.assertIn(table, conditions, table)

	def test_scheduler_jobs_synced(self):
		methods = frappe.get_all(
			"Scheduled Job Type", filters={"method": ("like", "crm_sign.%")}, pluck="method"
		)
		self.assertIn("crm_sign.signing.delivery.retry_failed_deliveries", methods)
		self.assertIn("crm_sign.signing.finalize.sweep_stuck_requests", methods)

	def test_install_set_up_roles_settings_and_seal(self):
		for role in ("Sign Manager", "Sign User"):
			self.assertTrue(frappe.db.exists("Role", role))
		settings = frappe.get_single("Sign Settings")
		self.assertEqual(
			{"Lead", "Opportunity", "Contact", "Customer", "Quotation"},
			{row.document_type for row in settings.enabled_doctypes},
		)
		self.assertTrue(settings.seal_certificate.startswith("/private/files/"))
		self.assertIn("CN=", settings.seal_subject)

	def test_sign_button_script_and_route(self):
		self.assertIn("crm_sign_desk.bundle.js", frappe.get_hooks("app_include_js"))
		rules = frappe.get_hooks("website_route_rules", app_name="crm_sign")
		self.assertIn({"from_route": "/sign/<token>", "to_route": "sign"}, rules)
