// The public verify page (/sign/verify): sends the chosen PDF to crm_sign.api.verify.check_file and
// shows the verdict, or shows the verdict the server already gave for a footer's code (?c=...).
// Everything is written with textContent: titles and names are user text.
function init() {
	const boot = JSON.parse(document.getElementById("crm-sign-verify-data").textContent);
	const t = boot.labels;
	const box = document.getElementById("cs-verdict");

	function el(tag, text, className) {
		const node = document.createElement(tag);
		if (text !== undefined) node.textContent = text;
		if (className) node.className = className;
		return node;
	}

	function row(list, label, value) {
		list.append(el("dt", label), el("dd", value));
	}

	function show(verdict) {
		box.hidden = false;
		box.replaceChildren();
		box.dataset.state = verdict.state;
		const headline = (t[verdict.state] || t.error).replace("{0}", verdict.status || "");
		box.append(el("h2", headline, `cs-verdict-${verdict.state}`));
		if (verdict.sha256) {
			const list = el("dl", undefined, "cs-verdict-facts");
			row(list, t.by_this_site, verdict.by_this_site ? t.yes : t.no);
			row(list, t.intact, verdict.intact ? t.yes : t.no);
			row(list, t.whole_file, verdict.whole_file ? t.yes : t.no);
			if (verdict.sealed_at) row(list, t.sealed_at, verdict.sealed_at);
			row(list, t.sha256, verdict.sha256);
			box.append(list);
		}
		if (verdict.request) {
			const request = el("dl", undefined, "cs-verdict-request");
			row(request, t.request, verdict.request.name);
			row(request, t.title, verdict.request.title);
			const documents = verdict.request.documents || [];
			if (documents.length)
				row(
					request,
					t.documents,
					documents
						.map(
							(d, i) =>
								`${i + 1}. ${d.title}${d.this_file ? ` (${t.this_file})` : ""}`
						)
						.join("; ")
				);
			if (verdict.request.completed_on)
				row(request, t.completed_on, verdict.request.completed_on);
			row(
				request,
				t.signers,
				verdict.request.signers
					.map((s) => `${s.name} (${s.role}${s.signed_on ? ", " + s.signed_on : ""})`)
					.join("; ")
			);
			box.append(request);
		} else if (verdict.state !== "unknown" && verdict.state !== "pending") {
			box.append(el("p", t.details_hidden, "cs-muted"));
		}
	}

	document.getElementById("cs-verify-form").addEventListener("submit", async (event) => {
		event.preventDefault();
		const file = document.getElementById("cs-verify-file").files[0];
		if (!file) return;
		show({ state: "checking" });
		box.firstChild.textContent = t.checking;
		const body = new FormData();
		body.append("file", file);
		const headers = { Accept: "application/json" };
		if (boot.csrf_token) headers["X-Frappe-CSRF-Token"] = boot.csrf_token;
		try {
			const response = await fetch("/api/method/crm_sign.api.verify.check_file", {
				method: "POST",
				body,
				headers,
				credentials: "same-origin",
			});
			if (response.status === 429) return show({ state: "throttled" });
			const reply = await response.json();
			show(response.ok ? reply.message : { state: "error" });
		} catch (e) {
			show({ state: "error" });
		}
	});

	if (boot.verdict) show(boot.verdict);
}

init();
