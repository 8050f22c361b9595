// A Sign Template's public link (/sign/start/<code>): the visitor's details, then the one-time code,
// then on to the signing page. The server checks and limits everything; messages are shown as text.
import { serverMessage } from "./sign_page/server_message.js";

function init() {
	const boot = JSON.parse(document.getElementById("crm-sign-start-data").textContent);
	const t = boot.labels;
	const details = document.getElementById("cs-start-form");
	const codeForm = document.getElementById("cs-start-code");
	const error = document.getElementById("cs-start-error");
	if (!details || !boot.slug) return;
	let start = "";

	function showError(text) {
		error.textContent = text || "";
		error.hidden = !text;
	}

	async function call(method, args) {
		const body = new URLSearchParams(args);
		body.append("_lang", document.documentElement.lang || "en");
		const response = await fetch(`/api/method/crm_sign.api.public.${method}`, {
			method: "POST",
			body,
			headers: { Accept: "application/json" },
			credentials: "same-origin",
		});
		if (response.status === 429) throw new Error(t.throttled);
		let data = {};
		try {
			data = await response.json();
		} catch (e) {
			data = {};
		}
		if (!response.ok) throw new Error(serverMessage(data) || t.error);
		return data.message;
	}

	function busy(form, on, label) {
		const button = form.querySelector("button[type=submit]");
		if (on) button.dataset.label = button.textContent;
		button.disabled = on;
		button.textContent = on ? label : button.dataset.label;
	}

	details.addEventListener("submit", async (event) => {
		event.preventDefault();
		showError("");
		busy(details, true, t.sending);
		try {
			const reply = await call("request_code", {
				slug: boot.slug,
				full_name: details.full_name.value,
				email: details.email.value,
				mobile: details.mobile.value,
			});
			start = reply.start;
			document.getElementById("cs-start-sent").textContent = t.sent.replace(
				"{0}",
				reply.sent_to
			);
			codeForm.hidden = false;
			codeForm.code.focus();
		} catch (e) {
			showError(e.message);
		} finally {
			busy(details, false);
		}
	});

	codeForm.addEventListener("submit", async (event) => {
		event.preventDefault();
		showError("");
		busy(codeForm, true, t.checking);
		try {
			const reply = await call("confirm_code", { start, code: codeForm.code.value });
			busy(codeForm, true, t.opening);
			window.location.replace(reply.url);
		} catch (e) {
			showError(e.message);
			busy(codeForm, false);
		}
	});
}

init();
