// The signer's fields: their values, whether they are done, and their boxes on the pages.
import { h } from "./dom.js";
import { activate, updateProgress } from "./flow.js";
import { __ } from "./i18n.js";
import { app } from "./state.js";

export const TEXT_TYPES = ["Text", "Long Text", "Full Name", "Email", "Phone"];

export function fields() {
	return app.page.fields || [];
}

// Every field the signer acts on, in reading order; dates fill themselves.
export function guided() {
	return fields()
		.filter((f) => f.type !== "Date" && f.type !== "Image")
		.slice()
		.sort((a, b) => a.page - b.page || a.y - b.y || a.x - b.x);
}

// The next field still to do after f, wrapping around to the first.
export function nextAfter(f) {
	const list = guided();
	const i = list.indexOf(f);
	return list
		.slice(i + 1)
		.concat(list.slice(0, i))
		.find((o) => !isDone(o));
}

export function fieldValue(f) {
	if (f.type === "Signature") return app.signature;
	if (f.type === "Initials") return app.initials;
	if (f.type === "Date") return app.page.today;
	return app.values[f.name] === undefined ? "" : app.values[f.name];
}

export function fieldError(f, value) {
	const v = value === undefined ? fieldValue(f) : value;
	const label = f.label || __(f.type);
	if (f.type === "Checkbox")
		return f.required && v !== "1" ? __("Please tick {0}", [label]) : "";
	if (f.required && !String(v || "").trim()) return __("Please fill in {0}", [label]);
	if (v && f.type === "Email" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) {
		return __("Enter a valid e-mail address");
	}
	if (v && f.type === "Phone" && !/^\+?[0-9][0-9 ()./-]{4,24}$/.test(v)) {
		return __("Enter a valid phone number");
	}
	return "";
}

export function isDone(f) {
	if (f.type === "Date" || f.type === "Image") return true;
	if (f.type === "Checkbox") return !f.required || fieldValue(f) === "1";
	if (!f.required && !["Signature", "Initials"].includes(f.type)) return !fieldError(f);
	return !fieldError(f) && !!fieldValue(f);
}

// Start from what the server filled in (a name from the record, a ticked box).
export function prefill() {
	for (const f of fields()) {
		if (app.values[f.name] !== undefined) continue;
		if (f.type === "Full Name") app.values[f.name] = f.value || app.page.signer_name || "";
		else if (f.type === "Checkbox") app.values[f.name] = f.value === "1" ? "1" : "0";
		else if (TEXT_TYPES.includes(f.type)) app.values[f.name] = f.value || "";
	}
}

// A field's box over its page, placed in fractions of the page so it scales with the image.
export function fieldOverlay(f) {
	const el = h("button", {
		type: "button",
		class: `cs-field cs-field-${f.type.toLowerCase().replace(/\s+/g, "-")}`,
		"data-field": f.name,
		"data-type": f.type,
		style: {
			left: `${f.x * 100}%`,
			top: `${f.y * 100}%`,
			width: `${f.w * 100}%`,
			height: `${f.h * 100}%`,
		},
		onclick: () => activate(f),
	});
	if (f.type === "Date") el.disabled = true;
	paintField(el, f);
	return el;
}

export function paintField(el, f) {
	const value = fieldValue(f);
	const label = f.label || __(f.type);
	el.replaceChildren();
	el.classList.toggle("cs-done", isDone(f) && (f.type === "Date" || !!value || !f.required));
	el.classList.toggle("cs-required", !!f.required);
	el.title = label;
	el.setAttribute(
		"aria-label",
		`${label}${f.required ? " (" + __("Required") + ")" : ""}${value && !value.startsWith("data:") ? ": " + value : ""}`
	);
	if (f.type === "Signature" || f.type === "Initials") {
		if (value) el.append(h("img", { src: value, alt: "" }));
		else
			el.append(
				h("span", {
					class: "cs-field-tag",
					text: f.type === "Signature" ? __("Sign here") : __("Initials here"),
				})
			);
	} else if (f.type === "Checkbox") {
		el.append(h("span", { class: "cs-check", text: value === "1" ? "✓" : "" }));
	} else if (f.type === "Date") {
		el.append(
			h("span", { class: "cs-field-text", text: value, title: __("Dated automatically") })
		);
	} else if (value) {
		el.append(h("span", { class: "cs-field-text", text: value }));
	} else {
		el.append(h("span", { class: "cs-field-tag", text: label }));
	}
}

// One signature (or initials) fills every box of its kind, so all of them are repainted.
export function repaintField(f) {
	document
		.querySelectorAll(`.cs-field[data-field="${CSS.escape(f.name)}"]`)
		.forEach((el) => paintField(el, f));
	if (f.type === "Signature" || f.type === "Initials") {
		fields()
			.filter((o) => o.type === f.type && o !== f)
			.forEach((o) =>
				document
					.querySelectorAll(`.cs-field[data-field="${CSS.escape(o.name)}"]`)
					.forEach((el) => paintField(el, o))
			);
	}
	updateProgress();
}
