// Which screen the link's state shows: a closed state's card, the one-time code, or the document.
import { call, documentUrl } from "./api.js";
import { codeScreen } from "./code_step.js";
import { h, main, show } from "./dom.js";
import { fields, paintField } from "./fields.js";
import { finishPanel } from "./finish.js";
import { updateProgress } from "./flow.js";
import { __, formatDateTime } from "./i18n.js";
import { actionBar, renderDocument } from "./pages.js";
import { app } from "./state.js";

// The sealed copy, or each sealed document of an envelope.
function downloadLinks() {
	const documents = app.page.documents || [];
	const link = (href, text) =>
		h(
			"a",
			{
				class: "cs-btn cs-btn-primary cs-btn-block",
				href,
				download: "",
				"data-testid": "download",
			},
			text
		);
	if (documents.length < 2) return [link(documentUrl(true), __("Download signed PDF"))];
	return documents.map((d, i) => link(documentUrl(true, i + 1), __("Download {0}", [d.title])));
}

export function intro() {
	const p = app.page;
	const copy = p.state === "copy";
	const asks = copy
		? __("{0} sends you this document for your information.", [p.sender])
		: p.company
			? __("{0} from {1} asks you to sign this document.", [p.sender, p.company])
			: __("{0} asks you to sign this document.", [p.sender]);
	return h(
		"section",
		{ class: "cs-card cs-intro" },
		h("p", { class: "cs-asks", text: asks }),
		h("h1", { class: "cs-title", text: p.title || "" }),
		h(
			"p",
			{ class: "cs-muted" },
			copy
				? __("Copy for {0}", [p.signer_name || ""])
				: __("Signing as {0}", [p.signer_name || ""]),
			p.expires_on && p.state === "open"
				? h("span", {
						class: "cs-expiry",
						text: " · " + __("Link valid until {0}", [formatDateTime(p.expires_on)]),
					})
				: null
		)
	);
}

export function stateCard(kind, title, ...body) {
	return h(
		"section",
		{ class: `cs-card cs-state cs-state-${kind}`, "data-testid": `state-${kind}` },
		h("h2", { text: title }),
		...body
	);
}

export function render() {
	const p = app.page;
	document.getElementById("crm-sign").dataset.state = p.state;
	if (p.state === "invalid") {
		return show(
			stateCard(
				"invalid",
				__("This link is not valid"),
				h("p", {
					text: __(
						"Check that you opened the whole link from your e-mail or SMS. If it still does not work, ask the sender for a new one."
					),
				})
			)
		);
	}
	if (p.state === "throttled") {
		return show(
			stateCard(
				"throttled",
				__("Too many attempts"),
				h("p", { text: __("Please wait a few minutes and try again.") })
			)
		);
	}
	const screens = {
		expired: () =>
			stateCard(
				"expired",
				__("This link has expired"),
				h("p", { text: __("Ask the sender to send you a new link.") })
			),
		cancelled: () =>
			stateCard(
				"cancelled",
				__("This request was cancelled"),
				h("p", {
					text: __(
						"The sender cancelled this signature request. Nothing more is needed from you."
					),
				})
			),
		declined: () =>
			stateCard(
				"declined",
				__("This document was declined"),
				h("p", {
					class: "cs-reason",
					text: __("Reason given: {0}", [p.declined_reason || ""]),
				})
			),
		waiting: () =>
			stateCard(
				"waiting",
				__("It is not your turn yet"),
				h("p", {
					text: __(
						"Another party signs first. We will send you a message when it is your turn."
					),
				})
			),
		signed: signedScreen,
		// CC: reads the document, signs nothing, gets the sealed copy by e-mail at the end.
		copy: () =>
			stateCard(
				"copy",
				__("You receive a copy"),
				h("p", {
					text: __(
						"You do not need to sign. We will e-mail you the signed copy when everyone has signed."
					),
				}),
				h(
					"a",
					{
						class: "cs-btn cs-btn-primary cs-btn-block",
						href: documentUrl(false),
						target: "_blank",
						rel: "noopener",
						"data-testid": "view-copy",
					},
					__("View the document")
				)
			),
		login: () =>
			stateCard(
				"login",
				__("Log in to sign for the company"),
				h("p", {
					text: __(
						"This link signs for the company as {0}. Log in with that account first.",
						[p.signer_name || ""]
					),
				}),
				h(
					"a",
					{
						class: "cs-btn cs-btn-primary cs-btn-block",
						href: `/login?redirect-to=${encodeURIComponent(window.location.pathname + window.location.search)}`,
						"data-testid": "login",
					},
					__("Log in")
				)
			),
		completed: () =>
			stateCard(
				"completed",
				__("Everyone has signed"),
				h("p", {
					text: __(
						"The document is signed and sealed. You can download the signed copy."
					),
				}),
				...downloadLinks()
			),
	};
	if (screens[p.state]) return show(intro(), screens[p.state]());
	if (p.code_required) return show(intro(), codeScreen());
	return renderDocument();
}

// After a language change: keep the painted pages, rebuild the texts around them.
export function rerender() {
	const pages = document.getElementById("cs-pages");
	if (!pages || !app.pagesShown) return render();
	main().replaceChildren(intro(), pages, finishPanel(), actionBar());
	pages.querySelectorAll(".cs-field").forEach((el) => {
		const f = fields().find((x) => x.name === el.dataset.field);
		if (f) paintField(el, f);
	});
	updateProgress();
}

function signedScreen() {
	const p = app.page;
	if (!p.waiting_for_others) {
		schedulePoll();
		return stateCard(
			"sealing",
			__("Sealing the document…"),
			h("p", {
				text: __("All signatures are in. The signed copy will be ready in a moment."),
			}),
			h("div", { class: "cs-spinner", "aria-hidden": "true" })
		);
	}
	return stateCard(
		"signed",
		__("Thank you, you have signed"),
		h("p", {
			text: __("We will e-mail you the signed copy as soon as everyone has signed."),
		})
	);
}

// The last signer waits here while the worker seals: ask again every 3 s, for 2 minutes at most.
function schedulePoll() {
	if (app.polling || app.polls > 40) return;
	app.polling = true;
	app.polls += 1;
	setTimeout(async () => {
		app.polling = false;
		try {
			app.page = await call("open_document");
		} catch (e) {
			return;
		}
		if (app.page.state !== "signed" || app.page.waiting_for_others) render();
		else schedulePoll();
	}, 3000);
}
