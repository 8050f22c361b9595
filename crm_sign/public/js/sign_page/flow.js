// The guided flow: progress, the "Next field" button, and what a tap on a field opens.
import { fieldValue, guided, isDone } from "./fields.js";
import { openEditor } from "./field_editor.js";
import { __ } from "./i18n.js";
import { openPad } from "./signature_pad.js";
import { app } from "./state.js";

export function updateProgress() {
	const list = guided();
	const done = list.filter(isDone).length;
	const text = document.getElementById("cs-progress-text");
	const fill = document.getElementById("cs-progress-fill");
	const next = document.getElementById("cs-next");
	if (!text) return;
	text.textContent = __("{0} of {1} fields done", [done, list.length]);
	fill.style.width = list.length ? `${(done / list.length) * 100}%` : "100%";
	if (next) {
		const started =
			list.some((f) => app.values[f.name] !== undefined && fieldValue(f)) || app.signature;
		next.textContent =
			done === list.length
				? __("Review and sign")
				: started
					? __("Next field")
					: __("Start");
	}
	const signBtn = document.getElementById("cs-sign");
	if (signBtn) signBtn.classList.toggle("cs-ready", done === list.length && app.consent);
}

export function nextField() {
	const list = guided();
	const pending = list.find((f) => !isDone(f));
	if (!pending) {
		const panel = document.getElementById("cs-finish");
		panel.scrollIntoView({ behavior: "smooth", block: "center" });
		panel.querySelector("input[type=checkbox]").focus({ preventScroll: true });
		return;
	}
	focusField(pending);
	activate(pending);
}

export function focusField(f) {
	const el = document.querySelector(`.cs-field[data-field="${CSS.escape(f.name)}"]`);
	if (!el) return;
	el.scrollIntoView({ behavior: "smooth", block: "center" });
	// restart the pulse animation: drop the class, force a reflow, add it again
	el.classList.remove("cs-pulse");
	void el.offsetWidth;
	el.classList.add("cs-pulse");
}

export function activate(f) {
	if (f.type === "Date" || f.type === "Image") return;
	if (f.type === "Signature" || f.type === "Initials") return openPad(f);
	return openEditor(f);
}
