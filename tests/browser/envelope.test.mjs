// Envelopes: from a Lead's Sign dialog the user adds a second template (an NDA) to the contract; the
// client opens one link on a phone (375x667), reads both documents, signs the fields of both in one
// guided flow with one consent; the worker seals each document on its own; both sealed files are on
// the Lead, the completed page offers each, and the verify page recognises the NDA with its envelope.
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/envelope.test.mjs
// Needs a web server and a background worker for the site (`bench serve`, `bench worker`).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	contractPdf,
	drawOn,
	launchDesk,
	PHONE,
	queuedLinks,
	requirePlaywright,
	screenshot,
	uploadPrivateFile,
	useTestMail,
	xcall,
} from "./fixtures.mjs";

const STAMP = Date.now().toString(36);
const CLIENT = `envelope.client.${STAMP}@example.com`;
const playwright = await requirePlaywright();

describe("an envelope of two documents", { timeout: 600_000 }, () => {
	let browser;
	let desk;
	let lead;
	let contract;
	let nda;
	let restoreMail = async () => {};
	const pageErrors = [];
	const call = (method, args = {}) => xcall(desk, method, args);

	// A template of the Lead whose only signer is the client.
	async function clientTemplate(name, fileName, field) {
		const fileUrl = await uploadPrivateFile(desk, contractPdf(), fileName);
		return call("frappe.client.insert", {
			doc: {
				doctype: "Sign Template",
				template_name: `${name} ${STAMP}`,
				reference_doctype: "Lead",
				source_type: "Uploaded PDF",
				pdf_file: fileUrl,
				channel: "Email",
				roles: [{ signer_role: "Counterparty", label: "Client", signing_step: 1 }],
				fields: [
					{
						field_type: "Signature",
						filled_by: "Counterparty",
						page: 1,
						font_size: 10,
						required: 1,
						...field,
					},
				],
			},
		});
	}

	before(async () => {
		({ browser, desk } = await launchDesk(playwright, pageErrors));
		restoreMail = await useTestMail(call);
		contract = await clientTemplate("Envelope Contract", "envelope-contract.pdf", {
			field_label: "Contract signature",
			anchor: "{{sign:client}}",
		});
		nda = await clientTemplate("Envelope NDA", "envelope-nda.pdf", {
			field_label: "NDA signature",
			pos_x: 0.55,
			pos_y: 0.3,
			width: 0.3,
			height: 0.06,
		});
		lead = await call("frappe.client.insert", {
			doc: { doctype: "Lead", first_name: "Envelope", last_name: STAMP, email_id: CLIENT },
		});
	});

	after(async () => {
		await restoreMail().catch((e) => console.log(`# could not restore mail: ${e.message}`));
		await browser?.close();
	});

	test("one link, one visit, one consent; each document sealed and on the Lead", async () => {
		// The Sign dialog: the NDA is added to the contract.
		await desk.goto(`${BASE}/app/lead/${encodeURIComponent(lead.name)}`);
		await desk.locator(".crm-sign-button").first().click();
		const dialog = desk.locator(".crm-sign-dialog");
		await dialog.waitFor({ state: "visible" });
		await dialog.locator(".section-head", { hasText: "Add documents" }).click();
		const more = dialog.locator('[data-fieldname="more_templates"]');
		await more.locator("input, .control-input").first().click();
		await more.locator(".selectable-item", { hasText: nda.name }).first().click();
		await dialog.locator(".modal-title").click(); // closes the list
		await screenshot(desk, "envelope-dialog.png");
		const row = dialog
			.locator(".crm-sign-template-row, .crm-sign-reuse")
			.filter({ hasText: contract.template_name });
		await row.locator("[data-action=send]").click();

		let request;
		for (let i = 0; i < 60 && !request; i++) {
			const found = await call("frappe.client.get_list", {
				doctype: "Sign Request",
				filters: { reference_name: lead.name, template: contract.name },
				fields: ["name"],
			});
			request = found[0]?.name;
			if (!request) await desk.waitForTimeout(500);
		}
		assert.ok(request, "the request was made");
		let doc = await call("frappe.client.get", { doctype: "Sign Request", name: request });
		assert.deepEqual(
			doc.documents.map((d) => [d.document_title, d.first_page, d.page_count]),
			[
				[contract.template_name, 1, 1],
				[nda.template_name, 2, 1],
			]
		);
		const links = await queuedLinks(desk, request);
		assert.equal(Object.keys(links).length, 1, "one link for the one signer");

		// The client's phone: both documents, each headed by its title, in one guided flow.
		const phone = await (await browser.newContext(PHONE)).newPage();
		phone.on("pageerror", (e) => pageErrors.push(`phone: ${e.message}`));
		await phone.goto(`${BASE}/sign/${links[CLIENT]}`);
		await phone.waitForSelector(".cs-page img", { timeout: 60_000 });
		assert.equal(await phone.locator(".cs-page").count(), 2);
		const heads = await phone.locator(".cs-document-head").allTextContents();
		assert.equal(heads.length, 2, heads.join(" | "));
		assert.ok(heads[1].includes(nda.template_name), heads[1]);
		await screenshot(phone, "envelope-phone.png");

		const next = phone.locator("#cs-next");
		const sheet = phone.locator(".cs-sheet");
		let adopted = false;
		for (let step = 0; step < 8; step++) {
			if ((await next.innerText()).trim() === "Review and sign") break;
			await next.click();
			if (!adopted && (await sheet.isVisible())) {
				await drawOn(phone, sheet.locator(".cs-pad-canvas"));
				await sheet.locator(".cs-sheet-actions .cs-btn-primary").click();
				await sheet.waitFor({ state: "detached" });
				adopted = true;
			}
		}
		assert.ok(adopted, "the signature pad opened");
		assert.equal((await next.innerText()).trim(), "Review and sign");
		assert.ok(
			(await phone.locator("#cs-progress-text").textContent()).includes("2 of 2"),
			"both documents' fields are done"
		);
		await next.click();
		await phone.locator("#cs-consent").check();
		await phone.locator("#cs-sign").click();
		await phone.waitForSelector(
			'[data-testid="state-signed"], [data-testid="state-sealing"], [data-testid="state-completed"]',
			{ timeout: 60_000 }
		);

		const end = Date.now() + 150_000;
		while (Date.now() < end) {
			doc = await call("frappe.client.get", { doctype: "Sign Request", name: request });
			if (doc.status === "Completed") break;
			await desk.waitForTimeout(1000);
		}
		assert.equal(
			doc.status,
			"Completed",
			`not sealed (is a worker running?) ${doc.last_error}`
		);
		assert.ok(doc.documents.every((d) => d.signed_pdf && d.final_sha256));

		// Both sealed files are on the Lead.
		const onLead = await call("frappe.client.get_list", {
			doctype: "File",
			filters: { attached_to_doctype: "Lead", attached_to_name: lead.name },
			fields: ["file_name"],
		});
		assert.deepEqual(
			onLead.map((f) => f.file_name).sort(),
			[`${request}-1-signed.pdf`, `${request}-2-signed.pdf`],
			JSON.stringify(onLead)
		);

		// The completed page offers each document; the NDA's download is a sealed PDF.
		await phone.goto(`${BASE}/sign/${links[CLIENT]}`);
		await phone.waitForSelector('[data-testid="state-completed"]');
		const downloads = phone.locator('[data-testid="state-completed"] a[href*="part="]');
		assert.equal(await downloads.count(), 2);
		await screenshot(phone, "envelope-completed.png");
		const href = await downloads.nth(1).getAttribute("href");
		const reply = await phone.request.get(new URL(href, BASE).toString());
		assert.equal(reply.status(), 200);
		const ndaPdf = Buffer.from(await reply.body());
		assert.equal(ndaPdf.subarray(0, 5).toString(), "%PDF-");

		// The verify page knows the NDA, and the envelope it came in.
		await phone.goto(`${BASE}/sign/verify`);
		await phone.setInputFiles("#cs-verify-file", {
			name: "nda.pdf",
			mimeType: "application/pdf",
			buffer: ndaPdf,
		});
		await phone.click("#cs-verify-form button[type=submit]");
		await phone.waitForFunction(() => {
			const box = document.getElementById("cs-verdict");
			return box && !box.hidden && box.dataset.state && box.dataset.state !== "checking";
		});
		const verdict = await phone.evaluate(() => ({
			state: document.getElementById("cs-verdict").dataset.state,
			text: document.getElementById("cs-verdict").textContent,
		}));
		assert.equal(verdict.state, "valid", verdict.text);
		assert.ok(verdict.text.includes(`2. ${nda.template_name} (this file)`), verdict.text);
		assert.ok(verdict.text.includes(`1. ${contract.template_name}`), verdict.text);
		await screenshot(phone, "envelope-verify.png", { fullPage: true });
		assert.deepEqual(pageErrors, []);
	});
});
