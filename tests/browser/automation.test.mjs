/* global locals */
// Browser test of stage automation through Frappe's Workflow editor:
//   1. in the Workflow form, the state "Contract Sent" gets a template ("Send for Signature") and the
//      workflow an action to apply when everyone has signed;
//   2. the Opportunity is moved into that state with the form's workflow Actions menu; the background
//      job sends the request, which shows Sent and on the Opportunity's timeline;
//   3. both signers sign through the guest API (the counterparty's token read from the Email Queue as
//      Administrator, the company's from its signing link); finalizing completes the request and the
//      workflow action moves the Opportunity on.
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/automation.test.mjs
//
// Needs a web server and a background worker for the site (`bench serve`, `bench worker`). The test
// creates an active Workflow on Opportunity for its duration and deletes it afterwards, so point it at
// a site of your own. Environment as in desk_sign.test.mjs (CRM_SIGN_URL, CRM_SIGN_USER,
// CRM_SIGN_PASSWORD, CRM_SIGN_SCREENSHOTS, CRM_SIGN_CHROMIUM); it skips, with the reason, when the
// server, the app or the browser is not there.

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	CHROMIUM,
	contractPdf,
	drawnSignature,
	launchChromium,
	LINK,
	login,
	openForm as openDeskForm,
	SHOTS,
	TEMPLATE_FIELDS,
	whyBundleNotServed,
} from "./fixtures.mjs";

const STAMP = Date.now().toString(36);
const TEMPLATE_NAME = "Browser Automation Contract";
const WORKFLOW = `crm_sign browser automation ${STAMP}`;
const SEND_STATE = "Contract Sent";
const SEND_ACTION = "Send Contract";
const DONE_STATE = "Approved";
const DONE_ACTION = "Approve";

async function whyNotRunnable() {
	let playwright;
	try {
		playwright = await import("playwright-core");
	} catch (e) {
		return "playwright-core is not installed (npm install)";
	}
	if (!existsSync(CHROMIUM)) return `no browser at ${CHROMIUM} (apt-get install chromium)`;
	try {
		const r = await fetch(`${BASE}/api/method/ping`, { signal: AbortSignal.timeout(8000) });
		const body = await r.json();
		if (body.message !== "pong") return `${BASE} answered, but not like Frappe`;
	} catch (e) {
		return `no Frappe server at ${BASE} (${e.cause?.code || e.message}); set CRM_SIGN_URL`;
	}
	const notServed = await whyBundleNotServed("crm_sign_desk.bundle.js");
	if (notServed) return notServed;
	crm.playwright = playwright;
	return null;
}

const crm = {};
const skip = await whyNotRunnable();
if (skip) console.log(`# skipping the crm_sign automation browser test: ${skip}`);

async function until(what, probe, { timeout = 120_000, every = 1000 } = {}) {
	const end = Date.now() + timeout;
	let last;
	while (Date.now() < end) {
		last = await probe();
		if (last) return last;
		await new Promise((resolve) => setTimeout(resolve, every));
	}
	throw new Error(`timed out waiting for ${what} (is a worker running for the site?)`);
}

describe(
	"crm_sign stage automation in the Workflow editor",
	{ skip: skip || false, timeout: 600_000 },
	() => {
		let browser;
		let page;
		let guest;
		let template;
		let opportunity;
		let request;
		const pageErrors = [];

		const shot = async (name) => {
			const file = path.join(SHOTS, name);
			await page.screenshot({ path: file });
			console.log(`# screenshot ${file}`);
		};

		const call = (method, args = {}) =>
			page.evaluate(
				async ([m, a]) => {
					try {
						return { ok: true, message: await frappe.xcall(m, a) };
					} catch (e) {
						return { ok: false, error: String(e && (e.message || e)) };
					}
				},
				[method, args]
			);
		const mustCall = async (method, args) => {
			const r = await call(method, args);
			assert.ok(r.ok, `${method} failed: ${r.error}`);
			return r.message;
		};
		const ensure = async (doctype, name, doc) => {
			const found = await mustCall("frappe.client.get_list", {
				doctype,
				filters: { name },
				fields: ["name"], // v15 get_list has no pluck
			});
			if (!found.length)
				await mustCall("frappe.client.insert", { doc: { doctype, ...doc } });
		};
		const value = async (doctype, name, fieldname) =>
			(await mustCall("frappe.client.get_value", { doctype, filters: name, fieldname }))?.[
				fieldname
			];

		const openForm = (doctype, name) => openDeskForm(page, doctype, name);

		// Type into a Link field like a user and wait until the form's model holds the value
		// (`modelValue` runs in the page and reads it back).
		async function setLink(scope, fieldname, text, modelValue, arg = null) {
			const input = scope.locator(`[data-fieldname="${fieldname}"] input`).first();
			await input.click();
			await input.fill(text);
			await page.waitForTimeout(1000); // the link search answers
			await input.press("Enter");
			await input.blur();
			await page.waitForFunction(
				([read, a, expected]) => new Function("a", `return (${read})(a)`)(a) === expected,
				[modelValue.toString(), arg, text],
				{ timeout: 30_000 }
			);
		}

		async function saveForm() {
			await page.keyboard.press("Control+s");
			await page.waitForFunction(
				() => cur_frm && !cur_frm.is_dirty() && !cur_frm.is_new(),
				null,
				{
					timeout: 60_000,
				}
			);
		}

		async function uploadFixture() {
			const bytes = Array.from(contractPdf());
			return page.evaluate(async (data) => {
				const form = new FormData();
				const blob = new Blob([new Uint8Array(data)], { type: "application/pdf" });
				form.append("file", blob, "crm-sign-automation-test.pdf");
				form.append("is_private", "1");
				form.append("folder", "Home");
				const r = await fetch("/api/method/upload_file", {
					method: "POST",
					body: form,
					headers: {
						"X-Frappe-CSRF-Token": frappe.csrf_token,
						Accept: "application/json",
					},
				});
				const body = await r.json();
				if (!r.ok) throw new Error(`upload_file: ${r.status} ${JSON.stringify(body)}`);
				return body.message.file_url;
			}, bytes);
		}

		// A drawn signature as the signing page makes it: a PNG data URL from a canvas.

		// The counterparty signs as a guest; the company only in its desk session (with its CSRF token).
		async function guestSign(token, { asCompany = false } = {}) {
			const client = asCompany ? page.request : guest;
			const headers = asCompany
				? { "X-Frappe-CSRF-Token": await page.evaluate(() => frappe.csrf_token) }
				: {};
			// As the page does: the hash of the document it was shown (open_document) goes with it.
			const opened = await client.post(
				`${BASE}/api/method/crm_sign.api.guest.open_document`,
				{
					form: { token },
					headers,
				}
			);
			const shown = (await opened.json()).message.document_sha256;
			const r = await client.post(`${BASE}/api/method/crm_sign.api.guest.sign`, {
				form: {
					token,
					signature: await drawnSignature(page),
					values: "{}",
					consent: "1",
					document_sha256: shown,
				},
				headers,
			});
			const body = await r.json();
			assert.equal(r.status(), 200, `guest sign: ${r.status()} ${JSON.stringify(body)}`);
			return body.message;
		}

		async function emailedToken(requestName) {
			const queues = await mustCall("frappe.client.get_list", {
				doctype: "Email Queue",
				filters: { reference_doctype: "Sign Request", reference_name: requestName },
				fields: ["message"],
				order_by: "creation desc",
			});
			for (const q of queues) {
				const message = q.message.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
				const found = LINK.exec(message);
				if (found) return found[1];
			}
			return null;
		}

		before(async () => {
			mkdirSync(SHOTS, { recursive: true });
			browser = await launchChromium(crm.playwright);
			const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
			page = await context.newPage();
			page.on("pageerror", (e) => pageErrors.push(e.message));
			guest = await crm.playwright.request.newContext(); // no cookies: the signer's side

			await login(page.request);
			await page.goto(`${BASE}/app`);
			await page.waitForFunction(
				() => window.frappe && frappe.boot && frappe.csrf_token,
				null,
				{
					timeout: 60_000,
				}
			);
			const active = await mustCall("frappe.client.get_list", {
				doctype: "Workflow",
				filters: { document_type: "Opportunity", is_active: 1 },
				fields: ["name"], // v15 get_list has no pluck
			});
			assert.deepEqual(
				active,
				[],
				`Opportunity already has an active workflow (${active}); use another site`
			);

			const existing = await mustCall("frappe.client.get_list", {
				doctype: "Sign Template",
				filters: { name: TEMPLATE_NAME, reference_doctype: "Opportunity" },
				fields: ["name"], // v15 get_list has no pluck
			});
			template = existing[0]?.name;
			if (!template) {
				const doc = await mustCall("frappe.client.insert", {
					doc: {
						doctype: "Sign Template",
						template_name: TEMPLATE_NAME,
						reference_doctype: "Opportunity",
						document_kind: "Contract",
						source_type: "Uploaded PDF",
						pdf_file: await uploadFixture(),
						signing_order: "Counterparty first",
						channel: "Email",
						// only the signers' fields: the fixture's prefilled sources are Lead fields
						fields: TEMPLATE_FIELDS.filter((f) => f.filled_by !== "Prefilled"),
					},
				});
				template = doc.name;
			}

			for (const state of ["Draft", SEND_STATE, DONE_STATE]) {
				await ensure("Workflow State", state, { workflow_state_name: state });
			}
			for (const action of [SEND_ACTION, DONE_ACTION]) {
				await ensure("Workflow Action Master", action, { workflow_action_name: action });
			}
			await mustCall("frappe.client.insert", {
				doc: {
					doctype: "Workflow",
					workflow_name: WORKFLOW,
					document_type: "Opportunity",
					workflow_state_field: "workflow_state",
					is_active: 1,
					send_email_alert: 0,
					states: [
						{ state: "Draft", doc_status: "0", allow_edit: "System Manager" },
						{ state: SEND_STATE, doc_status: "0", allow_edit: "System Manager" },
						{ state: DONE_STATE, doc_status: "0", allow_edit: "System Manager" },
					],
					transitions: [
						{
							state: "Draft",
							action: SEND_ACTION,
							next_state: SEND_STATE,
							allowed: "System Manager",
							allow_self_approval: 1,
						},
						{
							state: SEND_STATE,
							action: DONE_ACTION,
							next_state: DONE_STATE,
							allowed: "System Manager",
							allow_self_approval: 1,
						},
					],
				},
			});

			const lead = await mustCall("frappe.client.insert", {
				doc: {
					doctype: "Lead",
					first_name: "Automation",
					last_name: `Browser ${STAMP}`,
					email_id: `automation.${STAMP}@example.com`,
				},
			});
			const company = (
				await mustCall("frappe.client.get_list", {
					doctype: "Company",
					fields: ["name"], // v15 get_list has no pluck
					limit_page_length: 1,
				})
			)[0].name;
			opportunity = (
				await mustCall("frappe.client.insert", {
					doc: {
						doctype: "Opportunity",
						opportunity_from: "Lead",
						party_name: lead.name,
						company,
						transaction_date: new Date().toISOString().slice(0, 10),
					},
				})
			).name;
		});

		after(async () => {
			if (page) {
				// The workflow must not outlive the test: other tests create Opportunities on this site.
				await call("frappe.client.set_value", {
					doctype: "Workflow",
					name: WORKFLOW,
					fieldname: "is_active",
					value: 0,
				});
				await call("frappe.client.delete", { doctype: "Workflow", name: WORKFLOW });
			}
			await guest?.dispose();
			await browser?.close();
		});

		test("the Workflow form takes a template for a state and an action for completion", async () => {
			await openForm("Workflow", WORKFLOW);
			// Frappe v15: the form of an active workflow loads its doctype's meta, which brings the
			// Workflow along and swaps the doc object under the form, so edits made after that are
			// not saved. Reloading the form once it is idle puts form and model on one doc again.
			await page.waitForLoadState("networkidle");
			await page.evaluate(() => cur_frm.reload_doc());
			await page.waitForFunction(
				() =>
					cur_frm.doc === locals[cur_frm.doctype][cur_frm.docname] &&
					!cur_frm.is_dirty(),
				null,
				{ timeout: 30_000 }
			);
			await setLink(
				page.locator(".form-layout"),
				"crm_sign_on_complete_action",
				DONE_ACTION,
				() => cur_frm.doc.crm_sign_on_complete_action
			);

			const rowIndex = await page.evaluate(
				(state) => cur_frm.doc.states.findIndex((row) => row.state === state),
				SEND_STATE
			);
			assert.ok(rowIndex >= 0);
			const row = page
				.locator('[data-fieldname="states"] .grid-body .grid-row')
				.nth(rowIndex);
			await row.locator(".btn-open-row").first().click();
			const editor = page.locator(".grid-row-open").first();
			await editor.waitFor({ state: "visible" });
			await setLink(
				editor,
				"crm_sign_template",
				template,
				(i) => cur_frm.doc.states[i].crm_sign_template,
				rowIndex
			);
			await shot("automation-workflow-state.png");
			assert.deepEqual(
				await page.evaluate(
					(i) => [
						cur_frm.doc.crm_sign_on_complete_action,
						cur_frm.doc.states[i].crm_sign_template,
					],
					rowIndex
				),
				[DONE_ACTION, template],
				"the form took the values"
			);
			await page.keyboard.press("Escape");
			await saveForm();

			const saved = await mustCall("frappe.client.get", {
				doctype: "Workflow",
				name: WORKFLOW,
			});
			assert.equal(saved.crm_sign_on_complete_action, DONE_ACTION);
			assert.equal(
				saved.states.find((s) => s.state === SEND_STATE).crm_sign_template,
				template
			);
		});

		test("entering the state sends the request and the timeline shows it", async () => {
			await openForm("Opportunity", opportunity);
			assert.equal(await page.evaluate(() => cur_frm.doc.workflow_state), "Draft");
			await page.locator(".page-actions button", { hasText: "Actions" }).first().click();
			await page
				.locator(".dropdown-menu.show .dropdown-item", { hasText: SEND_ACTION })
				.first()
				.click();
			await page.waitForFunction(
				(state) => cur_frm.doc.workflow_state === state,
				SEND_STATE,
				{
					timeout: 60_000,
				}
			);

			request = await until("the Sign Request to be sent", async () => {
				const rows = await mustCall("frappe.client.get_list", {
					doctype: "Sign Request",
					filters: { reference_doctype: "Opportunity", reference_name: opportunity },
					fields: ["name", "status", "template"],
				});
				return rows.find((r) => r.status === "Sent");
			});
			assert.equal(request.template, template);

			await openForm("Opportunity", opportunity);
			await page.evaluate(() => cur_frm.reload_doc());
			// The timeline sits in a tab on forms with tabs (Opportunity: "Activities").
			const pane = await page.evaluate(
				() => document.querySelector(".form-footer")?.closest(".tab-pane")?.id
			);
			if (pane) await page.locator(`.form-tabs a[href="#${pane}"]`).click();
			const sent = page
				.locator(".timeline-item:visible", { hasText: "for signature" })
				.first();
			await sent.waitFor({ state: "visible", timeout: 60_000 });
			assert.match(await sent.innerText(), new RegExp(TEMPLATE_NAME));
			await sent.scrollIntoViewIfNeeded();
			await shot("automation-opportunity-sent.png");
		});

		test("signatures complete the request and the workflow action moves the Opportunity on", async () => {
			assert.ok(request, "the request of the previous test");
			const token = await until("the invitation e-mail", () => emailedToken(request.name));
			const first = await guestSign(token);
			assert.equal(first.status, "Partially Signed");

			const companyLink = await mustCall("crm_sign.api.desk.get_company_signing_link", {
				request: request.name,
			});
			const second = await guestSign(LINK.exec(companyLink)[1], { asCompany: true });
			assert.ok(["Partially Signed", "Completed"].includes(second.status), second.status);

			await until(
				"the request to be completed",
				async () => (await value("Sign Request", request.name, "status")) === "Completed"
			);
			await until(
				"the workflow action",
				async () =>
					(await value("Opportunity", opportunity, "workflow_state")) === DONE_STATE
			);
			await openForm("Opportunity", opportunity);
			await shot("automation-opportunity-approved.png");
			assert.deepEqual(pageErrors, []);
		});
	}
);
