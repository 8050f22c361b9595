// The end of the document: consent, Sign and Decline.
import { call } from "./api.js";
import { h, show } from "./dom.js";
import { fields, guided, isDone, TEXT_TYPES } from "./fields.js";
import { activate, focusField, updateProgress } from "./flow.js";
import { __ } from "./i18n.js";
import { intro, render, stateCard } from "./screens.js";
import { cancelButton, closeSheet, openSheet } from "./sheet.js";
import { openPad } from "./signature_pad.js";
import { app, boot } from "./state.js";

export function finishPanel() {
	const consentText = boot.consent_text
		? __(boot.consent_text)
		: __(
				"I agree that my electronic signature is the legal equivalent of my handwritten signature on this document, and I consent to do business electronically."
			);
	const box = h("input", { type: "checkbox", id: "cs-consent", class: "cs-checkbox" });
	box.checked = app.consent;
	box.addEventListener("change", () => {
		app.consent = box.checked;
		error.textContent = "";
		updateProgress();
	});
	const error = h("p", { class: "cs-error", id: "cs-finish-error", role: "alert" });
	const signBtn = h(
		"button",
		{
			type: "button",
			class: "cs-btn cs-btn-primary cs-btn-block cs-btn-lg",
			id: "cs-sign",
			onclick: submit,
		},
		__("Sign")
	);
	const declineBtn = h(
		"button",
		{
			type: "button",
			class: "cs-btn cs-btn-ghost cs-btn-block",
			id: "cs-decline",
			onclick: openDecline,
		},
		__("Decline")
	);
	return h(
		"section",
		{ class: "cs-card cs-finish", id: "cs-finish" },
		h("h2", { text: __("Agreement to sign electronically") }),
		h("p", { class: "cs-consent-text", text: consentText }),
		h(
			"label",
			{ class: "cs-check-row", for: "cs-consent" },
			box,
			h("span", { text: __("I have read and agree to the above") })
		),
		error,
		signBtn,
		declineBtn
	);
}

async function submit() {
	if (app.busy) return;
	const error = document.getElementById("cs-finish-error");
	const list = guided();
	const pending = list.filter((f) => !isDone(f));
	if (pending.length) {
		error.textContent = __("Fill in all required fields first ({0} left).", [pending.length]);
		focusField(pending[0]);
		activate(pending[0]);
		return;
	}
	if (!app.signature) {
		// no signature box on this document: the signature is still taken as evidence
		const sig = {
			name: "__signature__",
			type: "Signature",
			label: __("Your signature"),
			required: true,
		};
		return openPad(sig, submit);
	}
	if (!app.consent) {
		error.textContent = __("Please accept the agreement to sign electronically.");
		document.getElementById("cs-consent").focus();
		return;
	}
	const values = {};
	for (const f of fields()) {
		if (f.type === "Initials") values[f.name] = app.initials;
		else if (TEXT_TYPES.includes(f.type) || f.type === "Checkbox")
			values[f.name] = app.values[f.name] || "";
	}
	const btn = document.getElementById("cs-sign");
	app.busy = true;
	btn.disabled = true;
	btn.textContent = __("Signing…");
	error.textContent = "";
	try {
		await call("sign", {
			signature: app.signature,
			values: JSON.stringify(values),
			consent: "1",
			// The server refuses (409) when another party signed since this page loaded.
			document_sha256: app.page.document_sha256 || "",
		});
		app.page = await call("open_document");
		document.body.classList.remove("cs-has-actionbar");
		render();
	} catch (e) {
		if (e.status === 409) {
			app.page = await call("open_document");
			render();
			alert(e.message);
			return;
		}
		error.textContent = e.message;
		btn.disabled = false;
		btn.textContent = __("Sign");
	} finally {
		app.busy = false;
	}
}

function openDecline() {
	const reason = h("textarea", {
		class: "cs-input",
		id: "cs-reason",
		rows: "4",
		maxlength: "1000",
	});
	const error = h("p", { class: "cs-error", role: "alert" });
	const confirm = h(
		"button",
		{
			type: "button",
			class: "cs-btn cs-btn-danger",
			id: "cs-decline-confirm",
			onclick: async () => {
				const text = reason.value.trim();
				if (!text) {
					error.textContent = __("Please give a reason.");
					reason.focus();
					return;
				}
				confirm.disabled = true;
				try {
					await call("decline", { reason: text });
					closeSheet();
					document.body.classList.remove("cs-has-actionbar");
					show(
						intro(),
						stateCard(
							"declined-done",
							__("You declined to sign"),
							h("p", {
								text: __(
									"The sender has been told. Nothing more is needed from you."
								),
							}),
							h("p", {
								class: "cs-reason",
								text: __("Reason given: {0}", [text]),
							})
						)
					);
				} catch (e) {
					error.textContent = e.message;
					confirm.disabled = false;
				}
			},
		},
		__("Decline")
	);
	const cancel = cancelButton();
	openSheet(
		__("Decline to sign"),
		[
			h("label", {
				class: "cs-label",
				for: "cs-reason",
				text: __("Why do you decline? (required)"),
			}),
			reason,
			error,
		],
		[cancel, confirm]
	);
	setTimeout(() => reason.focus(), 50);
}
