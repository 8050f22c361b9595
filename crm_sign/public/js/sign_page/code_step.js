// The one-time code step: send a code by e-mail or SMS, then check the six digits.
import { call } from "./api.js";
import { h } from "./dom.js";
import { __ } from "./i18n.js";
import { render } from "./screens.js";
import { app } from "./state.js";

export function codeScreen() {
	const p = app.page;
	const error = h("p", { class: "cs-error", role: "alert" });
	const info = h("p", { class: "cs-muted" });
	const input = h("input", {
		class: "cs-input cs-code-input",
		id: "cs-code",
		inputmode: "numeric",
		autocomplete: "one-time-code",
		pattern: "[0-9]*",
		maxlength: "6",
		"aria-label": __("6-digit code"),
		placeholder: "••••••",
	});
	const verifyBtn = h(
		"button",
		{ type: "submit", class: "cs-btn cs-btn-primary" },
		__("Continue")
	);
	const sendBtn = h(
		"button",
		{
			type: "button",
			class: "cs-btn " + (p.code_sent ? "cs-btn-link" : "cs-btn-primary"),
		},
		p.code_sent ? __("Send a new code") : __("Send code")
	);
	const entry = h(
		"form",
		{ class: "cs-code-form", novalidate: true },
		h("label", { for: "cs-code", class: "cs-label", text: __("6-digit code") }),
		input,
		verifyBtn
	);
	const attempts = h("p", { class: "cs-muted cs-attempts" });

	function refresh() {
		const locked = app.page.code_locked;
		entry.hidden = locked || !(app.page.code_sent || app.codeSentTo);
		sendBtn.hidden = locked;
		attempts.textContent =
			!locked && !error.textContent && app.page.code_attempts_left < 5
				? __("{0} tries left", [app.page.code_attempts_left])
				: "";
		if (locked) {
			error.textContent = __(
				"Too many wrong codes. This link is locked; please contact the sender."
			);
		}
		if (app.codeSentTo) info.textContent = __("Code sent to {0}.", [app.codeSentTo]);
	}

	sendBtn.addEventListener("click", async () => {
		error.textContent = "";
		sendBtn.disabled = true;
		try {
			const result = await call("send_code");
			app.codeSentTo = result.sent_to || "";
			app.page.code_sent = true;
			sendBtn.className = "cs-btn cs-btn-link";
			sendBtn.textContent = __("Send a new code");
			refresh();
			input.focus();
		} catch (e) {
			error.textContent = e.message;
		} finally {
			sendBtn.disabled = false;
		}
	});

	entry.addEventListener("submit", async (event) => {
		event.preventDefault();
		const code = input.value.replace(/\D/g, "");
		if (code.length !== 6) {
			error.textContent = __("Enter the 6 digits from the message.");
			return;
		}
		error.textContent = "";
		verifyBtn.disabled = true;
		try {
			app.page = await call("verify_code", { code });
			render();
		} catch (e) {
			error.textContent = e.message;
			input.value = "";
			try {
				app.page = await call("open_document");
			} catch (ignored) {
				/* keep the old state */
			}
			refresh();
		} finally {
			verifyBtn.disabled = false;
		}
	});

	refresh();
	return h(
		"section",
		{ class: "cs-card cs-code", "data-testid": "code-step" },
		h("h2", { text: __("Confirm it's you") }),
		h("p", {
			text:
				p.code_channel === "SMS"
					? __("We will send a 6-digit code to your mobile phone.")
					: __("We will send a 6-digit code to your e-mail address."),
		}),
		info,
		entry,
		attempts,
		error,
		h("div", { class: "cs-row" }, sendBtn)
	);
}
