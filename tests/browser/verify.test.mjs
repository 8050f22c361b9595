// The public verify page (/sign/verify), on a phone, without an account: a request is signed by both
// parties (the client as a guest, the company in its desk session) and sealed by the worker; then a
// guest uploads the sealed PDF (valid, with the request's details), the same file with one byte
// changed (not valid, no details), and a PDF from elsewhere (no seal); and opens the link of the QR
// code printed in the document's footer.
//
//   CRM_SIGN_URL=http://127.0.0.1:8000 node --test tests/browser/verify.test.mjs
// Needs a web server and a background worker for the site (`bench serve`, `bench worker`).

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import {
	BASE,
	contractPdf,
	drawnSignature,
	launchDesk,
	LINK,
	requirePlaywright,
	SHOTS,
	TEMPLATE_FIELDS,
	uploadPrivateFile,
	USER,
	xcall,
} from "./fixtures.mjs";

const STAMP = Date.now().toString(36);
const playwright = await requirePlaywright();

describe("the public verify page", { timeout: 300_000 }, () => {
	let browser;
	let desk;
	let phone;
	let request;
	let sealed;
	const pageErrors = [];

	const call = (method, args = {}) => xcall(desk, method, args);

	async function post(context, method, form, headers = {}) {
		const r = await context.post(`${BASE}/api/method/crm_sign.api.guest.${method}`, {
			form,
			headers,
		});
		assert.equal(r.status(), 200, `${method}: ${r.status()} ${await r.text()}`);
		return (await r.json()).message;
	}

	async function check(file, name) {
		await phone.goto(`${BASE}/sign/verify`);
		await phone.setInputFiles("#cs-verify-file", {
			name,
			mimeType: "application/pdf",
			buffer: file,
		});
		await phone.click("#cs-verify-form button[type=submit]");
		await phone.waitForFunction(() => {
			const box = document.getElementById("cs-verdict");
			return box && !box.hidden && box.dataset.state && box.dataset.state !== "checking";
		});
		const shot = path.join(SHOTS, `verify-${name.replace(/\W+/g, "-")}.png`);
		await phone.screenshot({ path: shot, fullPage: true });
		console.log(`# screenshot ${shot}`);
		return phone.evaluate(() => ({
			state: document.getElementById("cs-verdict").dataset.state,
			text: document.getElementById("cs-verdict").textContent,
		}));
	}

	before(async () => {
		({ browser, desk } = await launchDesk(playwright));
		// A guest on a phone: no cookies of the desk.
		phone = await (
			await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true })
		).newPage();
		phone.on("pageerror", (e) => pageErrors.push(e.message));

		const fileUrl = await uploadPrivateFile(desk, contractPdf(), "verify.pdf");
		const template = await call("frappe.client.insert", {
			doc: {
				doctype: "Sign Template",
				template_name: `Verify page ${STAMP}`,
				reference_doctype: "Lead",
				source_type: "Uploaded PDF",
				pdf_file: fileUrl,
				signing_order: "Parallel",
				company_signer: USER,
				fields: TEMPLATE_FIELDS,
			},
		});
		const lead = await call("frappe.client.insert", {
			doc: {
				doctype: "Lead",
				first_name: "Verify",
				last_name: `Page ${STAMP}`,
				email_id: `verify.page.${STAMP}@example.com`,
			},
		});
		request = (
			await call("crm_sign.api.desk.send", {
				doctype: "Lead",
				name: lead.name,
				template: template.name,
				channel: "Email",
			})
		).name;
		const png = await drawnSignature(desk);

		// The client: the link from the invitation, as a guest.
		const guest = await playwright.request.newContext();
		const queues = await call("frappe.client.get_list", {
			doctype: "Email Queue",
			filters: { reference_doctype: "Sign Request", reference_name: request },
			fields: ["message"],
		});
		let signedAsClient = false;
		for (const q of queues) {
			const found = LINK.exec(q.message.replace(/=\r?\n/g, "").replace(/=3D/g, "="));
			if (!found) continue;
			const opened = await post(guest, "open_document", { token: found[1] });
			if (opened.role !== "Counterparty") continue;
			await post(guest, "sign", {
				token: found[1],
				signature: png,
				values: "{}",
				consent: "1",
				document_sha256: opened.document_sha256,
			});
			signedAsClient = true;
		}
		assert.ok(signedAsClient, "the client's invitation was queued");
		await guest.dispose();

		// The company: its own link, in its desk session.
		const companyUrl = await call("crm_sign.api.desk.get_company_signing_link", { request });
		const token = companyUrl.split("/sign/")[1];
		const csrf = await desk.evaluate(() => frappe.csrf_token);
		const opened = await post(
			desk.request,
			"open_document",
			{ token },
			{ "X-Frappe-CSRF-Token": csrf }
		);
		await post(
			desk.request,
			"sign",
			{
				token,
				signature: png,
				values: "{}",
				consent: "1",
				document_sha256: opened.document_sha256,
			},
			{ "X-Frappe-CSRF-Token": csrf }
		);

		// The worker seals it.
		const end = Date.now() + 120_000;
		let doc;
		while (Date.now() < end) {
			doc = await call("frappe.client.get", { doctype: "Sign Request", name: request });
			if (doc.status === "Completed" && doc.signed_pdf) break;
			await new Promise((resolve) => setTimeout(resolve, 1000));
		}
		assert.equal(doc.status, "Completed", `${request} was not sealed (is a worker running?)`);
		request = doc;
		const r = await desk.request.get(`${BASE}${doc.signed_pdf}`);
		assert.equal(r.status(), 200);
		sealed = Buffer.from(await r.body());
	});

	after(async () => {
		await browser?.close();
	});

	test("the sealed PDF is valid and names its request, document and signers", async () => {
		const verdict = await check(sealed, "sealed");
		assert.equal(verdict.state, "valid", verdict.text);
		assert.ok(verdict.text.includes(request.name), verdict.text);
		assert.ok(verdict.text.includes(request.title), verdict.text);
		assert.deepEqual(pageErrors, []);
	});

	test("the same file with one byte changed is not valid and shows no details", async () => {
		const changed = Buffer.from(sealed);
		changed[Math.floor(changed.length / 3)] ^= 0x01;
		const verdict = await check(changed, "one-byte-changed");
		assert.equal(verdict.state, "invalid", verdict.text);
		assert.ok(!verdict.text.includes(request.name), "no details for a changed file");
	});

	test("a PDF from elsewhere carries no seal", async () => {
		const verdict = await check(contractPdf(), "from-elsewhere");
		assert.equal(verdict.state, "unsealed", verdict.text);
		assert.ok(!verdict.text.includes(request.name));
	});

	test("the footer's QR link opens the same verdict without a file", async () => {
		assert.match(
			request.verify_code || "",
			/^[A-Z0-9]{12}$/,
			"a random code, nothing personal"
		);
		await phone.goto(`${BASE}/sign/verify?c=${request.verify_code}`);
		await phone.waitForSelector("#cs-verdict[data-state]");
		const verdict = await phone.evaluate(() => ({
			state: document.getElementById("cs-verdict").dataset.state,
			text: document.getElementById("cs-verdict").textContent,
		}));
		const shot = path.join(SHOTS, "verify-by-code.png");
		await phone.screenshot({ path: shot, fullPage: true });
		console.log(`# screenshot ${shot}`);
		assert.equal(verdict.state, "valid", verdict.text);
		assert.ok(verdict.text.includes(request.name));
	});
});
