// The bottom sheet (a modal dialog) that holds the field editor, the signature pad and Decline.
// One is open at a time; Escape and a tap on the backdrop close it.
import { h } from "./dom.js";
import { __ } from "./i18n.js";

export function openSheet(title, body, buttons, { onClose } = {}) {
	closeSheet();
	const sheet = h(
		"div",
		{ class: "cs-sheet", role: "dialog", "aria-modal": "true", "aria-label": title },
		h("div", { class: "cs-sheet-head" }, h("h2", { text: title })),
		h("div", { class: "cs-sheet-body" }, body),
		h("div", { class: "cs-sheet-actions" }, buttons)
	);
	const backdrop = h(
		"div",
		{
			class: "cs-backdrop",
			id: "cs-sheet",
			onclick: (e) => {
				if (e.target === backdrop) closeSheet();
			},
		},
		sheet
	);
	backdrop._onClose = onClose;
	document.body.append(backdrop);
	document.body.classList.add("cs-sheet-open");
	document.addEventListener("keydown", escClose);
	return sheet;
}

function escClose(e) {
	if (e.key === "Escape") closeSheet();
}

export function closeSheet() {
	const open = document.getElementById("cs-sheet");
	if (!open) return;
	open.remove();
	document.body.classList.remove("cs-sheet-open");
	document.removeEventListener("keydown", escClose);
	if (open._onClose) open._onClose();
}

/** The sheet's Cancel button: closes it, nothing else. */
export function cancelButton() {
	return h(
		"button",
		{ type: "button", class: "cs-btn cs-btn-ghost", onclick: closeSheet },
		__("Cancel")
	);
}
