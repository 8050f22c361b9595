// Self-service signing from a template's public link, on a phone (375x667): a visitor opens
// /sign/start/<code>, gives name, e-mail and mobile, enters the one-time code from the e-mail, signs
// the NDA, and ends as a new Lead with the sealed PDF attached.
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/public_link.test.mjs
// Needs a web server and a background worker for the site (`bench serve`, `bench worker`).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	contractPdf,
	drawAndSign,
	launchDesk,
	requirePlaywright,
	screenshot,
	TEMPLATE_FIELDS,
	uploadPrivateFile,
	USER,
	useTestMail,
	xcall,
} from "./fixtures.mjs";

const STAMP = Date.now().toString(36);
const EMAIL = `visitor.${STAMP}@example.com`;
const playwright = await requirePlaywright();

describe("a template's public signing link", { timeout: 300_000 }, () => {
	let browser;
	let desk;
	let phone;
	let template;
	let restoreMail = async () => {};
	const pageErrors = [];
	const call = (method, args = {}) => xcall(desk, method, args);

	const shot = (name) => screenshot(phone, name);

	before(async () => {
		({ browser, desk } = await launchDesk(playwright));
		restoreMail = await useTestMail(call);
		phone = await (
			await browser.newContext({
				viewport: { width: 375, height: 667 },
				isMobile: true,
				hasTouch: true,
			})
		).newPage();
		phone.on("pageerror", (e) => pageErrors.push(e.message));

		const fileUrl = await uploadPrivateFile(desk, contractPdf(), "nda.pdf");
		template = await call("frappe.client.insert", {
			doc: {
				doctype: "Sign Template",
				template_name: `Website NDA ${STAMP}`,
				reference_doctype: "Lead",
				source_type: "Uploaded PDF",
				pdf_file: fileUrl,
				signing_order: "Counterparty first",
				channel: "Email",
				roles: [{ signer_role: "Counterparty" }],
				fields: TEMPLATE_FIELDS.filter((f) => f.filled_by !== "Company"),
				public_link: 1,
				public_sender: USER,
			},
		});
		assert.ok(template.public_slug, "the template got its public link code");
	});

	after(async () => {
		await restoreMail().catch((e) => console.log(`# could not restore mail: ${e.message}`));
		await browser?.close();
	});

	test("a visitor confirms the code, signs, and becomes a Lead with the sealed PDF", async () => {
		const response = await phone.goto(`${BASE}/sign/start/${template.public_slug}`);
		assert.equal(response.status(), 200);
		await phone.fill("#cs-start-name", "Deniz Arslan");
		await phone.fill("#cs-start-email", EMAIL);
		await phone.fill("#cs-start-mobile", "+90 532 444 55 66");
		await shot("public-link-1-details.png");
		await phone.click("#cs-start-form button[type=submit]");
		await phone.locator("#cs-start-code").waitFor({ state: "visible" });
		assert.equal(
			(await call("frappe.client.get_count", {
				doctype: "Lead",
				filters: { email_id: EMAIL },
			})) || 0,
			0,
			"no Lead before the code is confirmed"
		);

		// The code, as the visitor reads it in the e-mail.
		const queued = await call("frappe.client.get_list", {
			doctype: "Email Queue",
			filters: { reference_doctype: "Sign Template", reference_name: template.name },
			fields: ["message"],
			order_by: "creation desc",
			limit_page_length: 1,
		});
		const code = /is (\d{6})\./.exec(queued[0].message.replace(/=\r?\n/g, ""))[1];
		await phone.fill("#cs-start-code-input", code);
		await shot("public-link-2-code.png");
		await phone.click("#cs-start-code button[type=submit]");

		// Straight to the document: no second code, the address was just confirmed.
		await phone.waitForURL(/\/sign\//, { timeout: 30_000 });
		await phone.waitForSelector(".cs-page img", { timeout: 60_000 });
		await shot("public-link-3-document.png");
		await drawAndSign(phone);
		await phone.waitForSelector('[data-testid="state-completed"]', { timeout: 150_000 });
		await shot("public-link-4-completed.png");

		// The CRM side: a new Lead with the visitor's details and the sealed PDF attached.
		const leads = await call("frappe.client.get_list", {
			doctype: "Lead",
			filters: { email_id: EMAIL },
			fields: ["name", "lead_name", "mobile_no"],
		});
		assert.equal(leads.length, 1);
		assert.equal(leads[0].lead_name, "Deniz Arslan");
		assert.equal(leads[0].mobile_no, "+90 532 444 55 66");
		const requests = await call("frappe.client.get_list", {
			doctype: "Sign Request",
			filters: { reference_doctype: "Lead", reference_name: leads[0].name },
			fields: ["name", "status", "signed_pdf"],
		});
		assert.equal(requests.length, 1);
		assert.equal(requests[0].status, "Completed");
		const attached = await call("frappe.client.get_list", {
			doctype: "File",
			filters: { attached_to_doctype: "Lead", attached_to_name: leads[0].name },
			fields: ["file_name"],
		});
		assert.ok(
			attached.some((f) => f.file_name.endsWith(".pdf")),
			JSON.stringify(attached)
		);
		assert.deepEqual(pageErrors, []);
	});

	test("an unknown public link is a 404 that says nothing more", async () => {
		const response = await phone.goto(`${BASE}/sign/start/0000000000000000`);
		assert.equal(response.status(), 404);
		assert.equal(await phone.locator("#cs-start-form").count(), 0);
	});
});
