// Stored script from an anonymous signer must never run in the desk (issue 13, finding 1).
//
// A guest signs one request and declines another with script payloads in every field it can type
// and in its User-Agent; the rep typed one as the recipient's name. A sales rep then opens both
// requests, their signer and value grids, their audit events and the Lead's timeline: no dialog may
// fire, and the typed values show as text.
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/stored_script.test.mjs
// Same environment as desk_sign.test.mjs.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	contractPdf,
	drawnSignature,
	launchChromium,
	LINK,
	openDesk,
	openForm as openDeskForm,
	requirePlaywright,
	SHOTS,
	TEMPLATE_FIELDS,
	uploadPrivateFile,
	USER,
	xcall,
} from "./fixtures.mjs";

const STAMP = Date.now().toString(36);
const PAYLOAD = `<img src=x onerror=alert("xss-${STAMP}")>`;
const SCRIPT = `<script>alert("script-${STAMP}")</script>`;
const USER_AGENT = `Mozilla/5.0 ${PAYLOAD} ${SCRIPT}`;

const playwright = await requirePlaywright();

describe("stored script from a guest", { timeout: 300_000 }, () => {
	let browser;
	let page;
	let guest;
	const dialogs = [];
	const pageErrors = [];
	let lead;
	let signed;
	let declined;

	const call = (method, args = {}) => xcall(page, method, args);

	// The counterparty's link from the request's invitations (the company is invited too).
	async function counterpartyLink(request) {
		const queues = await call("frappe.client.get_list", {
			doctype: "Email Queue",
			filters: { reference_doctype: "Sign Request", reference_name: request },
			fields: ["message"],
			order_by: "creation desc",
		});
		for (const q of queues) {
			const found = LINK.exec(q.message.replace(/=\r?\n/g, "").replace(/=3D/g, "="));
			if (!found) continue;
			const opened = await guestCall("open_document", { token: found[1] });
			if (opened.role === "Counterparty") return { token: found[1], opened };
		}
		throw new Error(`no invitation e-mail to the counterparty of ${request}`);
	}

	async function guestCall(method, form) {
		const r = await guest.post(`${BASE}/api/method/crm_sign.api.guest.${method}`, { form });
		assert.equal(r.status(), 200, `${method}: ${r.status()} ${await r.text()}`);
		return (await r.json()).message;
	}

	async function openForm(doctype, name) {
		await openDeskForm(page, doctype, name);
		await page.waitForTimeout(1500); // let grids, indicators and the timeline render
	}

	async function shot(name) {
		await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
		console.log(`# screenshot ${path.join(SHOTS, name)}`);
	}

	before(async () => {
		mkdirSync(SHOTS, { recursive: true });
		browser = await launchChromium(playwright);
		const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
		page = await context.newPage();
		page.on("dialog", async (dialog) => {
			dialogs.push(dialog.message());
			await dialog.dismiss();
		});
		page.on("pageerror", (e) => pageErrors.push(e.message));
		await openDesk(page);
		guest = await playwright.request.newContext({
			extraHTTPHeaders: { "User-Agent": USER_AGENT },
		});

		const fileUrl = await uploadPrivateFile(page, contractPdf(), "x.pdf");
		const template = await call("frappe.client.insert", {
			doc: {
				doctype: "Sign Template",
				template_name: `Stored script ${STAMP}`,
				reference_doctype: "Lead",
				source_type: "Uploaded PDF",
				pdf_file: fileUrl,
				signing_order: "Parallel",
				company_signer: USER,
				fields: [
					...TEMPLATE_FIELDS,
					{
						field_label: "Job title",
						field_type: "Text",
						filled_by: "Counterparty",
						page: 1,
						pos_x: 0.22,
						pos_y: 0.6,
						width: 0.45,
						height: 0.022,
						font_size: 10,
						required: 1,
					},
				],
			},
		});
		lead = await call("frappe.client.insert", {
			doc: {
				doctype: "Lead",
				first_name: "Stored",
				last_name: `Script ${STAMP}`,
				email_id: `stored.script.${STAMP}@example.com`,
			},
		});
		const send = () =>
			call("crm_sign.api.desk.send", {
				doctype: "Lead",
				name: lead.name,
				template: template.name,
				channel: "Email",
				recipient: JSON.stringify({ name: `Ayşe ${PAYLOAD}`, email: lead.email_id }),
			});
		signed = (await send()).name;
		declined = (await send()).name;

		const { token: signToken, opened } = await counterpartyLink(signed);
		const jobTitle = opened.fields.find((f) => f.label === "Job title");
		assert.ok(jobTitle, "the counterparty's Job title field");
		const png = await drawnSignature(page);
		await guestCall("sign", {
			token: signToken,
			signature: png,
			values: JSON.stringify({ [jobTitle.name]: `Buyer ${PAYLOAD} ${SCRIPT}` }),
			consent: "1",
			document_sha256: opened.document_sha256,
		});
		const { token: declineToken } = await counterpartyLink(declined);
		await guestCall("decline", { token: declineToken, reason: `No. ${PAYLOAD} ${SCRIPT}` });
	});

	after(async () => {
		await guest?.dispose();
		await browser?.close();
	});

	test("the signed request, its grids and its audit events show the payloads as text", async () => {
		await openForm("Sign Request", signed);
		await page.locator(".section-head", { hasText: "Field Values" }).click();
		await page.waitForTimeout(800);
		await shot("stored-script-signed.png");
		assert.equal(await page.locator(".indicator-pill", { hasText: "Not Saved" }).count(), 0);
		const text = await page.locator(".form-layout").innerText();
		assert.ok(
			text.includes(`Buyer ${PAYLOAD}`),
			"the typed value shows literally in the grid"
		);
		for (const row of await page.locator('[data-fieldname="signers"] .grid-row').all()) {
			await row.scrollIntoViewIfNeeded();
		}
		const events = await call("frappe.client.get_list", {
			doctype: "Sign Audit Event",
			filters: { sign_request: signed },
			fields: ["name"],
		});
		assert.ok(events.length >= 3);
		await page.goto(`${BASE}/app/sign-audit-event?sign_request=${encodeURIComponent(signed)}`);
		await page.waitForTimeout(2000);
		await shot("stored-script-audit-list.png");
		for (const event of events.slice(-2)) await openForm("Sign Audit Event", event.name);
		assert.deepEqual(dialogs, []);
	});

	test("the declined request, the Lead's timeline and the list show no script", async () => {
		await openForm("Sign Request", declined);
		await shot("stored-script-declined.png");
		await openForm("Lead", lead.name);
		await shot("stored-script-lead.png");
		await page.goto(
			`${BASE}/app/sign-request?reference_name=${encodeURIComponent(lead.name)}`
		);
		await page.waitForTimeout(2000);
		await page.goto(`${BASE}/app/sign-request/view/report?reference_name=${lead.name}`);
		await page.waitForTimeout(2500);
		await shot("stored-script-report.png");
		assert.deepEqual(dialogs, []);
		assert.deepEqual(
			pageErrors.filter((e) => e.includes(STAMP)),
			[],
			"no payload reached a script context"
		);
	});
});
