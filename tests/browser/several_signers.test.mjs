// Several signers and a CC: from an Opportunity's Sign dialog, a template with two client roles
// (order 1, in parallel), the company (order 2) and a lawyer in CC. The dialog proposes the deal's
// contact and the lead's other contact; the user adds the lawyer. Both clients sign at the same time
// on phones (375x667), the company signs last in its desk session, the worker seals; the lawyer's
// link shows the document to read and refuses a signature.
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/several_signers.test.mjs
// Needs a web server and a background worker for the site (`bench serve`, `bench worker`).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	contractPdf,
	drawAndSign,
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
const ONE = `director.one.${STAMP}@example.com`;
const TWO = `director.two.${STAMP}@example.com`;
const LAWYER = `lawyer.${STAMP}@example.com`;
const playwright = await requirePlaywright();

describe("several signers and a CC", { timeout: 600_000 }, () => {
	let browser;
	let desk;
	let deal;
	let template;
	let restoreMail = async () => {};
	const pageErrors = [];
	const call = (method, args = {}) => xcall(desk, method, args);

	before(async () => {
		({ browser, desk } = await launchDesk(playwright, pageErrors));
		restoreMail = await useTestMail(call);

		const fileUrl = await uploadPrivateFile(desk, contractPdf(), "board.pdf");
		const signature = { field_type: "Signature", page: 1, font_size: 10, required: 1 };
		template = await call("frappe.client.insert", {
			doc: {
				doctype: "Sign Template",
				template_name: `Board Contract ${STAMP}`,
				reference_doctype: "Opportunity",
				source_type: "Uploaded PDF",
				pdf_file: fileUrl,
				channel: "Email",
				roles: [
					{ signer_role: "Counterparty", label: "Client", signing_step: 1 },
					{ signer_role: "Counterparty", label: "Client 2", signing_step: 1 },
					{ signer_role: "Company", label: "Company", signing_step: 2 },
					{ signer_role: "CC", label: "Lawyer" },
				],
				fields: [
					{
						...signature,
						field_label: "Client signature",
						filled_by: "Counterparty",
						anchor: "{{sign:client}}",
					},
					{
						...signature,
						field_label: "Second director",
						filled_by: "Counterparty",
						signer_label: "Client 2",
						pos_x: 0.55,
						pos_y: 0.62,
						width: 0.3,
						height: 0.05,
					},
					{
						...signature,
						field_label: "Provider signature",
						filled_by: "Company",
						anchor: "{{sign:company}}",
					},
				],
			},
		});
		const lead = await call("frappe.client.insert", {
			doc: {
				doctype: "Lead",
				first_name: "Director",
				last_name: `One ${STAMP}`,
				email_id: ONE,
			},
		});
		await call("frappe.client.insert", {
			doc: {
				doctype: "Contact",
				first_name: "Director",
				last_name: `Two ${STAMP}`,
				email_ids: [{ email_id: TWO, is_primary: 1 }],
				links: [{ link_doctype: "Lead", link_name: lead.name }],
			},
		});
		const company = await desk.evaluate(() => frappe.defaults.get_default("company"));
		deal = await call("frappe.client.insert", {
			doc: {
				doctype: "Opportunity",
				opportunity_from: "Lead",
				party_name: lead.name,
				company,
			},
		});
	});

	after(async () => {
		await restoreMail().catch((e) => console.log(`# could not restore mail: ${e.message}`));
		await browser?.close();
	});

	test("two clients sign in parallel on phones, the company last, the CC reads", async () => {
		// The Sign dialog, then the people for each role.
		await desk.goto(`${BASE}/app/opportunity/${encodeURIComponent(deal.name)}`);
		await desk.locator(".crm-sign-button").first().click();
		const row = desk
			.locator(".crm-sign-dialog .crm-sign-template-row, .crm-sign-dialog .crm-sign-reuse")
			.filter({ hasText: template.template_name });
		await row.locator("[data-action=send]").click();
		const signers = desk.locator(".crm-sign-signers-dialog");
		await signers.waitFor({ state: "visible" });
		const value = (field) => signers.locator(`[data-fieldname="${field}"] input`).inputValue();
		assert.equal(await value("email_0"), ONE, "the deal's contact is proposed as Client");
		assert.equal(await value("email_1"), TWO, "the lead's other contact as Client 2");
		assert.equal(await value("email_3"), "", "nobody is proposed for the CC");
		await signers.locator('[data-fieldname="name_3"] input').fill("Av. Selin Demir");
		await signers.locator('[data-fieldname="email_3"] input').fill(LAWYER);
		await screenshot(desk, "several-signers-dialog.png");
		await signers.locator(".btn-primary").click();

		let request;
		for (let i = 0; i < 60 && !request; i++) {
			const found = await call("frappe.client.get_list", {
				doctype: "Sign Request",
				filters: { reference_name: deal.name, template: template.name },
				fields: ["name"],
			});
			request = found[0]?.name;
			if (!request) await desk.waitForTimeout(500);
		}
		assert.ok(request, "the request was made");
		const links = await queuedLinks(desk, request);
		assert.ok(links[ONE] && links[TWO] && links[LAWYER], JSON.stringify(links));

		// Both clients at once, each on a phone.
		const phones = await Promise.all(
			[ONE, TWO].map(async (email) => {
				const page = await (await browser.newContext(PHONE)).newPage();
				page.on("pageerror", (e) => pageErrors.push(`${email}: ${e.message}`));
				await page.goto(`${BASE}/sign/${links[email]}`);
				return page;
			})
		);
		await screenshot(phones[1], "several-signers-client-2.png");
		// Both were shown the document before either signed: the one served second is asked to
		// look at the document with the other's signature in it, and signs that.
		const tries = await Promise.all(phones.map((page) => drawAndSign(page)));
		assert.deepEqual([...tries].sort(), [1, 2], `tries: ${tries}`);
		await screenshot(phones[tries.indexOf(2)], "several-signers-client-signed.png");

		let doc = await call("frappe.client.get", { doctype: "Sign Request", name: request });
		assert.deepEqual(
			doc.signers.map((s) => [s.role_label, s.status]),
			[
				["Client", "Signed"],
				["Client 2", "Signed"],
				["Company", "Pending"],
				["Lawyer", "Waiting"],
			]
		);

		// The company last, in its desk session.
		const companyUrl = await call("crm_sign.api.desk.get_company_signing_link", { request });
		const companyPage = await desk.context().newPage();
		await companyPage.goto(`${BASE}/sign/${companyUrl.split("/sign/")[1]}`);
		await drawAndSign(companyPage);
		const end = Date.now() + 150_000;
		while (Date.now() < end) {
			doc = await call("frappe.client.get", { doctype: "Sign Request", name: request });
			if (doc.status === "Completed") break;
			await desk.waitForTimeout(1000);
		}
		assert.equal(doc.status, "Completed", "sealed (is a worker running?)");

		// The lawyer reads and cannot sign.
		const lawyer = await (await browser.newContext(PHONE)).newPage();
		await lawyer.goto(`${BASE}/sign/${links[LAWYER]}`);
		await lawyer.waitForSelector('[data-testid="state-completed"]');
		const guest = await playwright.request.newContext();
		const refused = await guest.post(`${BASE}/api/method/crm_sign.api.guest.sign`, {
			form: {
				token: links[LAWYER],
				signature: "x",
				values: "{}",
				consent: "1",
				document_sha256: doc.current_sha256 || doc.original_sha256,
			},
		});
		assert.ok(refused.status() >= 400, `a CC's signature was accepted: ${refused.status()}`);
		await guest.dispose();

		// The timeline of the deal shows every role.
		await desk.goto(`${BASE}/app/opportunity/${encodeURIComponent(deal.name)}`);
		const card = desk.locator(`.crm-sign-timeline-card[data-request="${request}"]`).first();
		await card.waitFor({ state: "attached" });
		// The Opportunity form keeps its timeline on a tab of its own (Activities).
		const pane = await card.evaluate((el) => el.closest(".tab-pane")?.id || "");
		if (pane) await desk.locator(`.form-tabs a[href="#${pane}"]`).click();
		await card.waitFor({ state: "visible" });
		const text = await card.textContent();
		for (const label of ["Client 2", "Company", "Lawyer", "receives a copy"])
			assert.ok(text.includes(label), text);
		await card.evaluate((el) => el.scrollIntoView({ block: "center" }));
		await screenshot(desk, "several-signers-timeline.png");
		assert.deepEqual(pageErrors, []);
	});

	test("while open, a CC's link shows the document to read and nothing to sign", async () => {
		const lead = await call("frappe.client.insert", {
			doc: {
				doctype: "Lead",
				first_name: "Open",
				last_name: STAMP,
				email_id: `open.${STAMP}@example.com`,
			},
		});
		const company = await desk.evaluate(() => frappe.defaults.get_default("company"));
		const open = await call("frappe.client.insert", {
			doc: {
				doctype: "Opportunity",
				opportunity_from: "Lead",
				party_name: lead.name,
				company,
			},
		});
		const sent = await call("crm_sign.api.desk.send", {
			doctype: "Opportunity",
			name: open.name,
			template: template.name,
			channel: "Email",
			signers: JSON.stringify([
				{ label: "Client 2", name: "Bora Ak", email: `bora.${STAMP}@example.com` },
				{ label: "Lawyer", name: "Av. Selin Demir", email: LAWYER },
			]),
		});
		const links = await queuedLinks(desk, sent.name);
		const page = await (await browser.newContext(PHONE)).newPage();
		await page.goto(`${BASE}/sign/${links[LAWYER]}`);
		await page.waitForSelector('[data-testid="state-copy"]');
		assert.equal(await page.locator("#cs-sign").count(), 0);
		await screenshot(page, "several-signers-cc.png");
	});
});
