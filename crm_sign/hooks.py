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

# Installation
# ------------

after_install = "crm_sign.install.after_install"
after_migrate = "crm_sign.install.after_migrate"
before_uninstall = "crm_sign.install.before_uninstall"

# Testing
# -------

# ERPNext's setup fixtures (Company, Sales Stages, ...) must exist before our tests run.
before_tests = "crm_sign.install.before_tests"
