// The public signing page (/sign/<token>): one-time code, the document with this signer's fields,
// a guided "next field" flow, the signature pad, consent, Sign and Decline.
// All text from the server is put in the page with textContent, never as HTML.
(function () {
	"use strict";

	const API = "/api/method/crm_sign.api.guest.";
	const dataEl = document.getElementById("crm-sign-data");
	const main = document.getElementById("cs-main");
	if (!dataEl || !main) return;

	const boot = JSON.parse(dataEl.textContent);
	// The token leaves the address bar (and history) as soon as the page has it in its cookie.
	if (boot.link && window.history && window.history.replaceState) {
		window.history.replaceState(null, "", `/sign?link=${encodeURIComponent(boot.link)}`);
	}
	const app = {
		// The link's name; the token itself stays in an HttpOnly cookie (see signer_session.py).
		link: boot.link,
		lang: boot.lang,
		page: boot.page,
		values: {}, // field name -> text, "1"/"0" or a PNG data URL (initials)
		signature: "", // PNG data URL used for every signature field
		initials: "",
		consent: false,
		codeSentTo: "",
		pdf: null,
		busy: false,
		polls: 0,
	};

	// ------------------------------------------------------------------ translation

	function setLanguage(lang) {
		app.lang = boot.languages.includes(lang) ? lang : "en";
		window.frappe = window.frappe || {};
		frappe._messages = boot.messages[app.lang] || {};
		document.documentElement.lang = app.lang;
		document.querySelectorAll("[data-i18n]").forEach((el) => {
			el.textContent = t(el.dataset.i18n);
		});
		document.title = t("Secure e-signature");
		document.querySelectorAll(".cs-lang [data-lang]").forEach((b) => {
			b.setAttribute("aria-pressed", b.dataset.lang === app.lang ? "true" : "false");
		});
	}

	// Frappe's __() from the web bundle, over the page's own messages (www pages get none)
	function t(text, args) {
		if (typeof window.__ === "function") return window.__(text, args);
		const translated = frappe._messages[text] || text;
		return translated.replace(/\{(\d+)\}/g, (m, i) =>
			args && i in args ? String(args[i]) : m
		);
	}

	// ------------------------------------------------------------------ DOM helpers

	function h(tag, attrs, ...children) {
		const el = document.createElement(tag);
		for (const [key, value] of Object.entries(attrs || {})) {
			if (value === null || value === undefined || value === false) continue;
			if (key === "class") el.className = value;
			else if (key === "text") el.textContent = value;
			else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
			else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
			else el.setAttribute(key, value === true ? "" : value);
		}
		for (const child of children.flat(Infinity)) {
			if (child === null || child === undefined || child === false) continue;
			el.append(child instanceof Node ? child : document.createTextNode(String(child)));
		}
		return el;
	}

	function show(...nodes) {
		main.replaceChildren(...nodes.filter(Boolean));
		window.scrollTo(0, 0);
	}

	function formatDateTime(value) {
		if (!value) return "";
		const date = new Date(String(value).replace(" ", "T"));
		if (isNaN(date)) return String(value);
		return new Intl.DateTimeFormat(app.lang === "tr" ? "tr-TR" : "en-GB", {
			dateStyle: "medium",
			timeStyle: "short",
		}).format(date);
	}

	// ------------------------------------------------------------------ server calls

	class ApiError extends Error {
		constructor(status, message) {
			super(message);
			this.status = status;
		}
	}

	function serverMessage(data) {
		try {
			const messages = JSON.parse(data._server_messages || "[]").map((m) => {
				const parsed = typeof m === "string" ? JSON.parse(m) : m;
				return typeof parsed === "string" ? parsed : parsed.message;
			});
			const text = messages.filter(Boolean).join(" ");
			if (text) {
				// messages are plain text, but may carry <b> from frappe.bold: keep the text only.
				// DOMParser's document is inert (no script runs, no image loads), unlike a <div>.
				return new DOMParser().parseFromString(text, "text/html").body.textContent;
			}
		} catch (e) {
			/* fall through */
		}
		return "";
	}

	async function call(method, args) {
		const body = new URLSearchParams({ link: app.link, _lang: app.lang });
		for (const [key, value] of Object.entries(args || {})) {
			body.append(key, typeof value === "string" ? value : JSON.stringify(value));
		}
		let response;
		try {
			response = await fetch(API + method, {
				method: "POST",
				credentials: "same-origin",
				headers: {
					Accept: "application/json",
					"X-Frappe-CSRF-Token": boot.csrf_token || "",
				},
				body,
			});
		} catch (e) {
			throw new ApiError(0, t("Something went wrong. Please try again."));
		}
		let data = {};
		try {
			data = await response.json();
		} catch (e) {
			data = {};
		}
		if (!response.ok) {
			let message = serverMessage(data);
			if (response.status === 429 && !message) {
				message = t("Too many requests. Please wait a few minutes.");
			}
			throw new ApiError(
				response.status,
				message || t("Something went wrong. Please try again.")
			);
		}
		return data.message;
	}

	// `part`: a document of an envelope (from 1), each sealed as a file of its own.
	function documentUrl(download, part) {
		const params = new URLSearchParams({ link: app.link, _lang: app.lang });
		if (download) params.set("download", "1");
		if (part) params.set("part", String(part));
		return `${API}document?${params}`;
	}

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
		if (documents.length < 2) return [link(documentUrl(true), t("Download signed PDF"))];
		return documents.map((d, i) =>
			link(documentUrl(true, i + 1), t("Download {0}", [d.title]))
		);
	}

	// ------------------------------------------------------------------ screens

	function intro() {
		const p = app.page;
		const copy = p.state === "copy";
		const asks = copy
			? t("{0} sends you this document for your information.", [p.sender])
			: p.company
				? t("{0} from {1} asks you to sign this document.", [p.sender, p.company])
				: t("{0} asks you to sign this document.", [p.sender]);
		return h(
			"section",
			{ class: "cs-card cs-intro" },
			h("p", { class: "cs-asks", text: asks }),
			h("h1", { class: "cs-title", text: p.title || "" }),
			h(
				"p",
				{ class: "cs-muted" },
				copy
					? t("Copy for {0}", [p.signer_name || ""])
					: t("Signing as {0}", [p.signer_name || ""]),
				p.expires_on && p.state === "open"
					? h("span", {
							class: "cs-expiry",
							text:
								" · " + t("Link valid until {0}", [formatDateTime(p.expires_on)]),
						})
					: null
			)
		);
	}

	function stateCard(kind, title, ...body) {
		return h(
			"section",
			{ class: `cs-card cs-state cs-state-${kind}`, "data-testid": `state-${kind}` },
			h("h2", { text: title }),
			...body
		);
	}

	function render() {
		const p = app.page;
		document.getElementById("crm-sign").dataset.state = p.state;
		if (p.state === "invalid") {
			return show(
				stateCard(
					"invalid",
					t("This link is not valid"),
					h("p", {
						text: t(
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
					t("Too many attempts"),
					h("p", { text: t("Please wait a few minutes and try again.") })
				)
			);
		}
		const screens = {
			expired: () =>
				stateCard(
					"expired",
					t("This link has expired"),
					h("p", { text: t("Ask the sender to send you a new link.") })
				),
			cancelled: () =>
				stateCard(
					"cancelled",
					t("This request was cancelled"),
					h("p", {
						text: t(
							"The sender cancelled this signature request. Nothing more is needed from you."
						),
					})
				),
			declined: () =>
				stateCard(
					"declined",
					t("This document was declined"),
					h("p", {
						class: "cs-reason",
						text: t("Reason given: {0}", [p.declined_reason || ""]),
					})
				),
			waiting: () =>
				stateCard(
					"waiting",
					t("It is not your turn yet"),
					h("p", {
						text: t(
							"Another party signs first. We will send you a message when it is your turn."
						),
					})
				),
			signed: signedScreen,
			// CC: reads the document, signs nothing, gets the sealed copy by e-mail at the end.
			copy: () =>
				stateCard(
					"copy",
					t("You receive a copy"),
					h("p", {
						text: t(
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
						t("View the document")
					)
				),
			login: () =>
				stateCard(
					"login",
					t("Log in to sign for the company"),
					h("p", {
						text: t(
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
						t("Log in")
					)
				),
			completed: () =>
				stateCard(
					"completed",
					t("Everyone has signed"),
					h("p", {
						text: t(
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

	function signedScreen() {
		const p = app.page;
		if (!p.waiting_for_others) {
			schedulePoll();
			return stateCard(
				"sealing",
				t("Sealing the document…"),
				h("p", {
					text: t("All signatures are in. The signed copy will be ready in a moment."),
				}),
				h("div", { class: "cs-spinner", "aria-hidden": "true" })
			);
		}
		return stateCard(
			"signed",
			t("Thank you, you have signed"),
			h("p", {
				text: t("We will e-mail you the signed copy as soon as everyone has signed."),
			})
		);
	}

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

	// ------------------------------------------------------------------ one-time code

	function codeScreen() {
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
			"aria-label": t("6-digit code"),
			placeholder: "••••••",
		});
		const verifyBtn = h(
			"button",
			{ type: "submit", class: "cs-btn cs-btn-primary" },
			t("Continue")
		);
		const sendBtn = h(
			"button",
			{
				type: "button",
				class: "cs-btn " + (p.code_sent ? "cs-btn-link" : "cs-btn-primary"),
			},
			p.code_sent ? t("Send a new code") : t("Send code")
		);
		const entry = h(
			"form",
			{ class: "cs-code-form", novalidate: true },
			h("label", { for: "cs-code", class: "cs-label", text: t("6-digit code") }),
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
					? t("{0} tries left", [app.page.code_attempts_left])
					: "";
			if (locked) {
				error.textContent = t(
					"Too many wrong codes. This link is locked; please contact the sender."
				);
			}
			if (app.codeSentTo) info.textContent = t("Code sent to {0}.", [app.codeSentTo]);
		}

		sendBtn.addEventListener("click", async () => {
			error.textContent = "";
			sendBtn.disabled = true;
			try {
				const result = await call("send_code");
				app.codeSentTo = result.sent_to || "";
				app.page.code_sent = true;
				sendBtn.className = "cs-btn cs-btn-link";
				sendBtn.textContent = t("Send a new code");
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
				error.textContent = t("Enter the 6 digits from the message.");
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
			h("h2", { text: t("Confirm it's you") }),
			h("p", {
				text:
					p.code_channel === "SMS"
						? t("We will send a 6-digit code to your mobile phone.")
						: t("We will send a 6-digit code to your e-mail address."),
			}),
			info,
			entry,
			attempts,
			error,
			h("div", { class: "cs-row" }, sendBtn)
		);
	}

	// ------------------------------------------------------------------ document and fields

	const TEXT_TYPES = ["Text", "Long Text", "Full Name", "Email", "Phone"];

	function fields() {
		return app.page.fields || [];
	}

	function guided() {
		// every field the signer acts on, in reading order; dates fill themselves
		return fields()
			.filter((f) => f.type !== "Date" && f.type !== "Image")
			.slice()
			.sort((a, b) => a.page - b.page || a.y - b.y || a.x - b.x);
	}

	function fieldValue(f) {
		if (f.type === "Signature") return app.signature;
		if (f.type === "Initials") return app.initials;
		if (f.type === "Date") return app.page.today;
		return app.values[f.name] === undefined ? "" : app.values[f.name];
	}

	function fieldError(f, value) {
		const v = value === undefined ? fieldValue(f) : value;
		const label = f.label || t(f.type);
		if (f.type === "Checkbox")
			return f.required && v !== "1" ? t("Please tick {0}", [label]) : "";
		if (f.required && !String(v || "").trim()) return t("Please fill in {0}", [label]);
		if (v && f.type === "Email" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) {
			return t("Enter a valid e-mail address");
		}
		if (v && f.type === "Phone" && !/^\+?[0-9][0-9 ()./-]{4,24}$/.test(v)) {
			return t("Enter a valid phone number");
		}
		return "";
	}

	function isDone(f) {
		if (f.type === "Date" || f.type === "Image") return true;
		if (f.type === "Checkbox") return !f.required || fieldValue(f) === "1";
		if (!f.required && !["Signature", "Initials"].includes(f.type)) return !fieldError(f);
		return !fieldError(f) && !!fieldValue(f);
	}

	function prefill() {
		for (const f of fields()) {
			if (app.values[f.name] !== undefined) continue;
			if (f.type === "Full Name") app.values[f.name] = f.value || app.page.signer_name || "";
			else if (f.type === "Checkbox") app.values[f.name] = f.value === "1" ? "1" : "0";
			else if (TEXT_TYPES.includes(f.type)) app.values[f.name] = f.value || "";
		}
	}

	function renderDocument() {
		prefill();
		const pages = h("div", { class: "cs-pages", id: "cs-pages" });
		const status = h("p", { class: "cs-muted cs-loading", text: t("Loading the document…") });
		pages.append(status);
		show(intro(), pages, finishPanel(), actionBar());
		document.body.classList.add("cs-has-actionbar");
		updateProgress();
		loadPages(pages, status);
		if (!app.viewedSent) {
			app.viewedSent = true;
			call("open_document").catch(() => {});
		}
	}

	function actionBar() {
		return h(
			"div",
			{ class: "cs-actionbar", id: "cs-actionbar" },
			h(
				"div",
				{ class: "cs-actionbar-inner" },
				h(
					"div",
					{ class: "cs-progress" },
					h("div", { class: "cs-progress-fill", id: "cs-progress-fill" }),
					h("span", { class: "cs-progress-text", id: "cs-progress-text" })
				),
				h(
					"button",
					{
						type: "button",
						class: "cs-btn cs-btn-primary",
						id: "cs-next",
						onclick: nextField,
					},
					t("Start")
				)
			)
		);
	}

	// Each page is an image the server rendered from the exact document being signed: the first
	// page shows after one small download, with no PDF viewer to fetch and start first. The layout
	// (page sizes, field boxes) is known from open_document before any image arrives.
	function pageUrl(n, width) {
		const params = new URLSearchParams({ link: app.link, n: String(n), w: String(width) });
		return `${API}page?${params}`;
	}

	// The same srcset as the page's <link rel=preload> (sign.py), so page 1 is not fetched twice;
	// the browser picks the width for the screen and picks again when it turns.
	function pageSrcset(n) {
		return boot.page_widths.map((width) => `${pageUrl(n, width)} ${width}w`).join(", ");
	}

	function loadPages(container, status) {
		const sizes = app.page.pages || [];
		if (!sizes.length) {
			status.textContent = t(
				"The document could not be loaded. Check your connection and reload the page."
			);
			status.className = "cs-error";
			return;
		}
		status.remove();
		const documents = app.page.documents || [];
		sizes.forEach(([pageWidth, pageHeight], i) => {
			const n = i + 1;
			// An envelope: each document is headed by its title where its first page begins.
			const starts = documents.findIndex((d) => Number(d.first_page) === n);
			if (documents.length > 1 && starts >= 0)
				container.append(
					h("h2", {
						class: "cs-document-head",
						text: t("Document {0} of {1}: {2}", [
							starts + 1,
							documents.length,
							documents[starts].title,
						]),
					})
				);
			const wrap = h("div", {
				class: "cs-page",
				"data-page": n,
				style: { aspectRatio: `${pageWidth} / ${pageHeight}` },
				"aria-label": t("Page {0} of {1}", [n, sizes.length]),
				role: "group",
			});
			const image = h("img", {
				class: "cs-page-img",
				alt: "",
				// loading and sizes before srcset and src: they decide what is fetched, and when
				loading: n <= 2 ? "eager" : "lazy",
				decoding: "async",
				draggable: "false",
				fetchpriority: n === 1 ? "high" : "auto",
				sizes: boot.page_sizes,
				srcset: pageSrcset(n),
				src: pageUrl(n, boot.page_widths[1]),
				onerror: () => {
					wrap.classList.add("cs-page-failed");
					wrap.dataset.error = t(
						"The document could not be loaded. Check your connection and reload the page."
					);
				},
			});
			wrap.append(image, h("div", { class: "cs-page-no", text: `${n} / ${sizes.length}` }));
			for (const f of fields().filter((x) => Number(x.page) === n))
				wrap.append(fieldOverlay(f));
			container.append(wrap);
		});
		app.pagesShown = true;
	}

	function fieldOverlay(f) {
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

	function paintField(el, f) {
		const value = fieldValue(f);
		const label = f.label || t(f.type);
		el.replaceChildren();
		el.classList.toggle("cs-done", isDone(f) && (f.type === "Date" || !!value || !f.required));
		el.classList.toggle("cs-required", !!f.required);
		el.title = label;
		el.setAttribute(
			"aria-label",
			`${label}${f.required ? " (" + t("Required") + ")" : ""}${value && !value.startsWith("data:") ? ": " + value : ""}`
		);
		if (f.type === "Signature" || f.type === "Initials") {
			if (value) el.append(h("img", { src: value, alt: "" }));
			else
				el.append(
					h("span", {
						class: "cs-field-tag",
						text: f.type === "Signature" ? t("Sign here") : t("Initials here"),
					})
				);
		} else if (f.type === "Checkbox") {
			el.append(h("span", { class: "cs-check", text: value === "1" ? "✓" : "" }));
		} else if (f.type === "Date") {
			el.append(
				h("span", { class: "cs-field-text", text: value, title: t("Dated automatically") })
			);
		} else if (value) {
			el.append(h("span", { class: "cs-field-text", text: value }));
		} else {
			el.append(h("span", { class: "cs-field-tag", text: label }));
		}
	}

	function repaintField(f) {
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

	function updateProgress() {
		const list = guided();
		const done = list.filter(isDone).length;
		const text = document.getElementById("cs-progress-text");
		const fill = document.getElementById("cs-progress-fill");
		const next = document.getElementById("cs-next");
		if (!text) return;
		text.textContent = t("{0} of {1} fields done", [done, list.length]);
		fill.style.width = list.length ? `${(done / list.length) * 100}%` : "100%";
		if (next) {
			const started =
				list.some((f) => app.values[f.name] !== undefined && fieldValue(f)) ||
				app.signature;
			next.textContent =
				done === list.length
					? t("Review and sign")
					: started
						? t("Next field")
						: t("Start");
		}
		const signBtn = document.getElementById("cs-sign");
		if (signBtn) signBtn.classList.toggle("cs-ready", done === list.length && app.consent);
	}

	function nextField() {
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

	function focusField(f) {
		const el = document.querySelector(`.cs-field[data-field="${CSS.escape(f.name)}"]`);
		if (!el) return;
		el.scrollIntoView({ behavior: "smooth", block: "center" });
		el.classList.remove("cs-pulse");
		void el.offsetWidth;
		el.classList.add("cs-pulse");
	}

	function activate(f) {
		if (f.type === "Date" || f.type === "Image") return;
		if (f.type === "Signature" || f.type === "Initials") return openPad(f);
		return openEditor(f);
	}

	// ------------------------------------------------------------------ sheets (editor, pad, decline)

	function openSheet(title, body, buttons, { onClose } = {}) {
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

	function closeSheet() {
		const open = document.getElementById("cs-sheet");
		if (!open) return;
		open.remove();
		document.body.classList.remove("cs-sheet-open");
		document.removeEventListener("keydown", escClose);
		if (open._onClose) open._onClose();
	}

	function nextAfter(f) {
		const list = guided();
		const i = list.indexOf(f);
		return list
			.slice(i + 1)
			.concat(list.slice(0, i))
			.find((o) => !isDone(o));
	}

	function openEditor(f) {
		const label = f.label || t(f.type);
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
				autocomplete:
					{ Email: "email", Phone: "tel", "Full Name": "name" }[f.type] || "off",
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
			t("Next")
		);
		const cancel = h(
			"button",
			{ type: "button", class: "cs-btn cs-btn-ghost", onclick: closeSheet },
			t("Cancel")
		);
		openSheet(label, [body, error], [cancel, done]);
		if (!upcoming() || upcoming() === f) done.textContent = t("Done");
		input.addEventListener("keydown", (e) => {
			if (e.key === "Enter" && input.tagName !== "TEXTAREA") {
				e.preventDefault();
				done.click();
			}
		});
		setTimeout(() => input.focus(), 50);
	}

	// ------------------------------------------------------------------ signature pad

	const STYLES = [
		{ family: "CS Dancing Script", size: 1 },
		{ family: "CS Great Vibes", size: 1.1 },
		{ family: "CS Caveat", size: 1.05 },
	];

	function initialsOf(name) {
		return (name || "")
			.split(/\s+/)
			.filter(Boolean)
			.map((part) => part[0].toLocaleUpperCase(app.lang))
			.join("")
			.slice(0, 4);
	}

	function openPad(f, onAdopt) {
		const isInitials = f.type === "Initials";
		const pad = { mode: "draw", strokes: 0, style: 0 };
		const error = h("p", { class: "cs-error", role: "alert" });
		const canvas = h("canvas", {
			class: "cs-pad-canvas",
			"aria-label": t("Sign with your finger or mouse in the box"),
		});
		const clear = h(
			"button",
			{ type: "button", class: "cs-btn cs-btn-link cs-pad-clear" },
			t("Clear")
		);
		const drawPane = h(
			"div",
			{ class: "cs-pad-draw" },
			h(
				"div",
				{ class: "cs-pad-frame" },
				canvas,
				h("div", { class: "cs-pad-line", "aria-hidden": "true" })
			),
			h(
				"div",
				{ class: "cs-row cs-pad-hint" },
				h("span", {
					class: "cs-muted",
					text: t("Sign with your finger or mouse in the box"),
				}),
				clear
			)
		);
		const nameInput = h("input", {
			class: "cs-input",
			id: "cs-typed",
			type: "text",
			maxlength: "60",
			autocomplete: "name",
		});
		nameInput.value = isInitials
			? initialsOf(app.page.signer_name)
			: app.page.signer_name || "";
		const styleButtons = STYLES.map((style, i) =>
			h("button", {
				type: "button",
				class: "cs-style" + (i === 0 ? " cs-selected" : ""),
				"aria-pressed": i === 0 ? "true" : "false",
				"aria-label": t("Style {0}", [i + 1]),
				style: { fontFamily: `"${style.family}", cursive` },
				onclick: () => {
					pad.style = i;
					styleButtons.forEach((b, j) => {
						b.classList.toggle("cs-selected", j === i);
						b.setAttribute("aria-pressed", j === i ? "true" : "false");
					});
				},
			})
		);
		const syncStyles = () =>
			styleButtons.forEach((b) => (b.textContent = nameInput.value || "—"));
		nameInput.addEventListener("input", syncStyles);
		syncStyles();
		const typePane = h(
			"div",
			{ class: "cs-pad-type", hidden: true },
			h("label", { class: "cs-label", for: "cs-typed", text: t("Type your name") }),
			nameInput,
			h("div", { class: "cs-styles", role: "group" }, styleButtons)
		);
		const tabs = ["draw", "type"].map((mode) =>
			h(
				"button",
				{
					type: "button",
					role: "tab",
					class: "cs-tab" + (mode === "draw" ? " cs-selected" : ""),
					"aria-selected": mode === "draw" ? "true" : "false",
					"data-mode": mode,
					onclick: () => {
						pad.mode = mode;
						drawPane.hidden = mode !== "draw";
						typePane.hidden = mode !== "type";
						tabs.forEach((b) => {
							b.classList.toggle("cs-selected", b.dataset.mode === mode);
							b.setAttribute(
								"aria-selected",
								b.dataset.mode === mode ? "true" : "false"
							);
						});
						if (mode === "draw") sizeCanvas();
						else nameInput.focus();
					},
				},
				mode === "draw" ? t("Draw") : t("Type")
			)
		);
		const adopt = h(
			"button",
			{
				type: "button",
				class: "cs-btn cs-btn-primary",
				onclick: async () => {
					const url = pad.mode === "draw" ? exportDrawn() : await exportTyped();
					if (!url) {
						error.textContent = t("Draw or type your signature first.");
						return;
					}
					if (isInitials) app.initials = url;
					else app.signature = url;
					repaintField(f);
					const n = onAdopt ? null : nextAfter(f);
					closeSheet();
					if (onAdopt) onAdopt();
					else if (n) {
						focusField(n);
						activate(n);
					}
				},
			},
			t("Adopt and sign")
		);
		const cancel = h(
			"button",
			{ type: "button", class: "cs-btn cs-btn-ghost", onclick: closeSheet },
			t("Cancel")
		);
		openSheet(
			isInitials ? t("Your initials") : t("Your signature"),
			[h("div", { class: "cs-tabs", role: "tablist" }, tabs), drawPane, typePane, error],
			[cancel, adopt]
		).classList.add("cs-sheet-pad");

		// drawing
		const ctx = canvas.getContext("2d");
		let last = null;
		let ink = [];
		function sizeCanvas() {
			const ratio = window.devicePixelRatio || 1;
			const rect = canvas.getBoundingClientRect();
			if (!rect.width) return;
			canvas.width = Math.round(rect.width * ratio);
			canvas.height = Math.round(rect.height * ratio);
			ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
			ctx.lineCap = "round";
			ctx.lineJoin = "round";
			ctx.strokeStyle = "#1e2a6b";
			ctx.lineWidth = 2.6;
			redraw();
		}
		function redraw() {
			ctx.clearRect(0, 0, canvas.width, canvas.height);
			for (const stroke of ink) {
				ctx.beginPath();
				stroke.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
				if (stroke.length === 1) ctx.lineTo(stroke[0].x + 0.1, stroke[0].y);
				ctx.stroke();
			}
		}
		function point(e) {
			const rect = canvas.getBoundingClientRect();
			return { x: e.clientX - rect.left, y: e.clientY - rect.top };
		}
		canvas.addEventListener("pointerdown", (e) => {
			e.preventDefault();
			canvas.setPointerCapture(e.pointerId);
			last = point(e);
			ink.push([last]);
			error.textContent = "";
			redraw();
		});
		canvas.addEventListener("pointermove", (e) => {
			if (!last) return;
			const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
			for (const ev of events) ink[ink.length - 1].push(point(ev));
			last = point(e);
			redraw();
		});
		const end = () => (last = null);
		canvas.addEventListener("pointerup", end);
		canvas.addEventListener("pointercancel", end);
		clear.addEventListener("click", () => {
			ink = [];
			redraw();
		});
		requestAnimationFrame(sizeCanvas);

		function exportDrawn() {
			const points = ink.flat();
			if (points.length < 2) return "";
			const xs = points.map((p) => p.x);
			const ys = points.map((p) => p.y);
			const pad = 8;
			const minX = Math.min(...xs) - pad;
			const minY = Math.min(...ys) - pad;
			const w = Math.max(...xs) + pad - minX;
			const hgt = Math.max(...ys) + pad - minY;
			if (w < 12 && hgt < 12) return "";
			const scale = Math.min(3, 900 / w, 300 / hgt);
			const out = document.createElement("canvas");
			out.width = Math.max(1, Math.round(w * scale));
			out.height = Math.max(1, Math.round(hgt * scale));
			const o = out.getContext("2d");
			o.setTransform(scale, 0, 0, scale, -minX * scale, -minY * scale);
			o.lineCap = "round";
			o.lineJoin = "round";
			o.strokeStyle = "#1e2a6b";
			o.lineWidth = 2.6;
			for (const stroke of ink) {
				o.beginPath();
				stroke.forEach((p, i) => (i ? o.lineTo(p.x, p.y) : o.moveTo(p.x, p.y)));
				if (stroke.length === 1) o.lineTo(stroke[0].x + 0.1, stroke[0].y);
				o.stroke();
			}
			return out.toDataURL("image/png");
		}

		async function exportTyped() {
			const text = nameInput.value.trim();
			if (!text) return "";
			const style = STYLES[pad.style];
			const size = Math.round(96 * style.size);
			const font = `${size}px "${style.family}"`;
			try {
				await document.fonts.load(font, text);
			} catch (e) {
				/* draw with the fallback font */
			}
			const measure = document.createElement("canvas").getContext("2d");
			measure.font = `${font}, cursive`;
			const width = Math.ceil(measure.measureText(text).width);
			const out = document.createElement("canvas");
			out.width = Math.min(1600, width + 48);
			out.height = Math.round(size * 1.6);
			const o = out.getContext("2d");
			o.font = `${font}, cursive`;
			o.fillStyle = "#1e2a6b";
			o.textBaseline = "middle";
			const fit = Math.min(1, (out.width - 48) / Math.max(width, 1));
			o.setTransform(fit, 0, 0, 1, 24, 0);
			o.fillText(text, 0, out.height / 2);
			return out.toDataURL("image/png");
		}
	}

	// ------------------------------------------------------------------ consent, sign, decline

	function finishPanel() {
		const consentText = boot.consent_text
			? t(boot.consent_text)
			: t(
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
			t("Sign")
		);
		const declineBtn = h(
			"button",
			{
				type: "button",
				class: "cs-btn cs-btn-ghost cs-btn-block",
				id: "cs-decline",
				onclick: openDecline,
			},
			t("Decline")
		);
		return h(
			"section",
			{ class: "cs-card cs-finish", id: "cs-finish" },
			h("h2", { text: t("Agreement to sign electronically") }),
			h("p", { class: "cs-consent-text", text: consentText }),
			h(
				"label",
				{ class: "cs-check-row", for: "cs-consent" },
				box,
				h("span", { text: t("I have read and agree to the above") })
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
			error.textContent = t("Fill in all required fields first ({0} left).", [
				pending.length,
			]);
			focusField(pending[0]);
			activate(pending[0]);
			return;
		}
		if (!app.signature) {
			// no signature box on this document: the signature is still taken as evidence
			const sig = {
				name: "__signature__",
				type: "Signature",
				label: t("Your signature"),
				required: true,
			};
			return openPad(sig, submit);
		}
		if (!app.consent) {
			error.textContent = t("Please accept the agreement to sign electronically.");
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
		btn.textContent = t("Signing…");
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
			btn.textContent = t("Sign");
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
						error.textContent = t("Please give a reason.");
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
								t("You declined to sign"),
								h("p", {
									text: t(
										"The sender has been told. Nothing more is needed from you."
									),
								}),
								h("p", {
									class: "cs-reason",
									text: t("Reason given: {0}", [text]),
								})
							)
						);
					} catch (e) {
						error.textContent = e.message;
						confirm.disabled = false;
					}
				},
			},
			t("Decline")
		);
		const cancel = h(
			"button",
			{ type: "button", class: "cs-btn cs-btn-ghost", onclick: closeSheet },
			t("Cancel")
		);
		openSheet(
			t("Decline to sign"),
			[
				h("label", {
					class: "cs-label",
					for: "cs-reason",
					text: t("Why do you decline? (required)"),
				}),
				reason,
				error,
			],
			[cancel, confirm]
		);
		setTimeout(() => reason.focus(), 50);
	}

	// ------------------------------------------------------------------ start

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

	function rerender() {
		const pages = document.getElementById("cs-pages");
		if (!pages || !app.pagesShown) return render();
		// keep the painted pages; rebuild the texts around them
		main.replaceChildren(intro(), pages, finishPanel(), actionBar());
		pages.querySelectorAll(".cs-field").forEach((el) => {
			const f = fields().find((x) => x.name === el.dataset.field);
			if (f) paintField(el, f);
		});
		updateProgress();
	}

	setLanguage(app.lang);
	render();
})();
