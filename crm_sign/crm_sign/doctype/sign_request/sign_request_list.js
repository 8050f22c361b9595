// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.listview_settings["Sign Request"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colors = frappe.boot.crm_sign?.indicators || {};
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
};
