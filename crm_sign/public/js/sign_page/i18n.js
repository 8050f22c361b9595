// The page's own translations: sign.py sends PAGE_STRINGS for each language in the boot JSON,
// because a www page gets none of Frappe's.
import { app, boot } from "./state.js";

// Frappe's __() from the web bundle if a page has it, else the page's own messages.
export function __(text, args) {
	if (typeof window.__ === "function") return window.__(text, args);
	const translated = frappe._messages[text] || text;
	return translated.replace(/\{(\d+)\}/g, (m, i) => (args && i in args ? String(args[i]) : m));
}

export function setLanguage(lang) {
	app.lang = boot.languages.includes(lang) ? lang : "en";
	window.frappe = window.frappe || {};
	frappe._messages = boot.messages[app.lang] || {};
	document.documentElement.lang = app.lang;
	document.querySelectorAll("[data-i18n]").forEach((el) => {
		el.textContent = __(el.dataset.i18n);
	});
	document.title = __("Secure e-signature");
	document.querySelectorAll(".cs-lang [data-lang]").forEach((b) => {
		b.setAttribute("aria-pressed", b.dataset.lang === app.lang ? "true" : "false");
	});
}

export function formatDateTime(value) {
	if (!value) return "";
	const date = new Date(String(value).replace(" ", "T"));
	if (isNaN(date)) return String(value);
	return new Intl.DateTimeFormat(app.lang === "tr" ? "tr-TR" : "en-GB", {
		dateStyle: "medium",
		timeStyle: "short",
	}).format(date);
}
