// The sheet that edits one text, e-mail, phone or checkbox field, then moves on to the next.
import { h } from "./dom.js";
import { fieldError, fieldValue, nextAfter, repaintField } from "./fields.js";
import { activate, focusField } from "./flow.js";
import { __ } from "./i18n.js";
import { cancelButton, closeSheet, openSheet } from "./sheet.js";
import { app } from "./state.js";

export function openEditor(f) {
	const label = f.label || __(f.type);
	const error = h("p", { class: "cs-error", role: "alert" });
	let input;
	if (f.type === "Checkbox") {
		input = h("input", { type: "checkbox", id: "cs-edit", class: "cs-checkbox" });
		input.checked = fieldValue(f) === "1";
	} else if (f.type === "Long Text") {
		input = h("textarea", {
			id: "cs-edit",
			class: "cs-input",
			rows: "4",
			maxlength: "2000",
		});
		input.value = fieldValue(f);
	} else {
		const type = { Email: "email", Phone: "tel" }[f.type] || "text";
		input = h("input", {
			id: "cs-edit",
			class: "cs-input",
			type,
			maxlength: "2000",
			autocomplete: { Email: "email", Phone: "tel", "Full Name": "name" }[f.type] || "off",
			inputmode: { Email: "email", Phone: "tel" }[f.type] || null,
		});
		input.value = fieldValue(f);
	}
	const body =
		f.type === "Checkbox"
			? h(
					"label",
					{ class: "cs-check-row", for: "cs-edit" },
					input,
					h("span", { text: label })
				)
			: [
					h("label", {
						class: "cs-label",
						for: "cs-edit",
						text: label + (f.required ? " *" : ""),
					}),
					input,
				];

	function save() {
		const value = f.type === "Checkbox" ? (input.checked ? "1" : "0") : input.value.trim();
		const problem = fieldError(f, value);
		// an optional checkbox may stay unticked
		if (problem && !(f.type === "Checkbox" && value === "0" && !f.required)) {
			error.textContent = problem;
			input.focus();
			return false;
		}
		app.values[f.name] = value;
		repaintField(f);
		return true;
	}

	const upcoming = () => nextAfter(f);
	const done = h(
		"button",
		{
			type: "button",
			class: "cs-btn cs-btn-primary",
			onclick: () => {
				if (!save()) return;
				const n = upcoming();
				closeSheet();
				if (n) {
					focusField(n);
					activate(n);
				}
			},
		},
		__("Next")
	);
	const cancel = cancelButton();
	openSheet(label, [body, error], [cancel, done]);
	if (!upcoming() || upcoming() === f) done.textContent = __("Done");
	input.addEventListener("keydown", (e) => {
		if (e.key === "Enter" && input.tagName !== "TEXTAREA") {
			e.preventDefault();
			done.click();
		}
	});
	setTimeout(() => input.focus(), 50);
}
