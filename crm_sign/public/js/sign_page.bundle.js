// The public signing page (/sign/<token>, www/sign.html): one-time code, the document with this
// signer's fields, a guided "next field" flow, the signature pad, consent, Sign and Decline.
// Built by `bench build` from the modules in sign_page/; sign.html includes it by its hashed name.
import { closeSheet } from "./sign_page/sheet.js";
import { render, rerender } from "./sign_page/screens.js";
import { setLanguage } from "./sign_page/i18n.js";
import { app, loadBoot } from "./sign_page/state.js";

function start() {
	const dataEl = document.getElementById("crm-sign-data");
	if (!dataEl || !document.getElementById("cs-main")) return;
	loadBoot(dataEl.textContent);
	// The token leaves the address bar (and history) as soon as the page has it in its cookie.
	if (app.link && window.history && window.history.replaceState) {
		window.history.replaceState(null, "", `/sign?link=${encodeURIComponent(app.link)}`);
	}
	document.querySelectorAll(".cs-lang [data-lang]").forEach((button) => {
		button.addEventListener("click", () => {
			if (button.dataset.lang === app.lang) return;
			setLanguage(button.dataset.lang);
			// Frappe reads it for a guest's later pages and messages
			document.cookie = `preferred_language=${app.lang}; path=/; max-age=31536000; SameSite=Lax`;
			closeSheet();
			rerender();
		});
	});
	setLanguage(app.lang);
	render();
}

start();
