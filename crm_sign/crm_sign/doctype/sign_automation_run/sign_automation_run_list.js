// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

frappe.listview_settings["Sign Automation Run"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colors = {
			Running: "orange",
			Sent: "blue",
			Waiting: "yellow",
			Done: "green",
			Skipped: "grey",
			Failed: "red",
			Cancelled: "darkgrey",
		};
		return [__(doc.status), colors[doc.status] || "grey", "status,=," + doc.status];
	},
};
