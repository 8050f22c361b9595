// Copyright (c) 2026, crm_sign contributors
// For license information, please see license.txt

// Desk side of crm_sign: the Sign button and dialog on every enabled doctype, and the actions of the
// Sign Request cards on the timeline. The server decides everything (permissions, recipients,
// channels, templates); this file only asks and shows.

(function () {
	frappe.provide("crm_sign.desk");

	const API = "crm_sign.api.desk.";
	const CHANNELS = ["", "Email", "SMS", "Email and SMS"];
	const registered = new Set();
	const esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));

	// The channel a dialog sends by: empty keeps each template's own, else the settings' default.
	function channel_field(default_channel) {
		return {
			fieldtype: "Select",
			fieldname: "channel",
			label: __("Channel"),
			options: CHANNELS.map((value) => ({
				value,
				label: value ? __(value) : __("Template default"),
			})),
			default: "",
			description: __("Template default: each template's channel, else {0}", [
				esc(__(default_channel || "Email")),
			]),
		};
	}

	// ------------------------------------------------------------------------------ registration

	// v15 sets frappe.boot inline before the app_include_js scripts run (www/app.html), but the
	// registration must not depend on that order: it runs now if it can, again on "app_ready", and
	// asks the server when the boot has no crm_sign key (e.g. a boot cached before the install).
	crm_sign.desk.register = function (doctypes) {
		if (!(frappe.ui && frappe.ui.form && frappe.ui.form.on)) return false;
		for (const doctype of doctypes || []) {
			if (!doctype || registered.has(doctype)) continue;
			registered.add(doctype);
			frappe.ui.form.on(doctype, { refresh: (frm) => crm_sign.desk.add_sign_button(frm) });
			// A form of this doctype that is already open gets its button too.
			if (window.cur_frm && cur_frm.doctype === doctype && cur_frm.doc) {
				crm_sign.desk.add_sign_button(cur_frm);
			}
		}
		return true;
	};

	let asked_server = false;
	function register_from_boot() {
		const info = frappe.boot && frappe.boot.crm_sign;
		if (info && Array.isArray(info.enabled_doctypes)) {
			crm_sign.desk.register(info.enabled_doctypes);
			return;
		}
		const logged_in = frappe.session && frappe.session.user && frappe.session.user !== "Guest";
		if (frappe.boot && logged_in && !asked_server && frappe.call) {
			asked_server = true;
			frappe
				.call({ method: API + "get_enabled_doctypes", silent: true })
				.then((r) => crm_sign.desk.register(r.message || []));
		}
	}

	// ------------------------------------------------------------------------------ Sign button

	crm_sign.desk.add_sign_button = function (frm) {
		if (!frm || !frm.doc || frm.is_new() || frm.doc.docstatus === 2) return;
		if (frappe.model.can_create && !frappe.model.can_create("Sign Request")) return;
		const label = __("Sign");
		const btn = frm.add_custom_button(label, () => crm_sign.desk.open_sign_dialog(frm));
		if (btn) {
			// change_custom_button_type resets the classes: add ours after it.
			frm.change_custom_button_type(label, null, "primary");
			btn.addClass("crm-sign-button");
		}
	};

	crm_sign.desk.open_sign_dialog = function (frm) {
		if (frm.is_dirty()) {
			frappe.msgprint({
				title: __("Not saved"),
				indicator: "orange",
				message: __("Save {0} first: the document is generated from the saved record.", [
					esc(__(frm.doctype)),
				]),
			});
			return;
		}
		frappe
			.call({
				method: API + "get_sign_options",
				args: { doctype: frm.doctype, name: frm.docname },
				freeze: true,
				freeze_message: __("Loading templates..."),
			})
			.then((r) => {
				if (r && r.message) new SignDialog(frm, r.message).show();
			});
	};

	// ------------------------------------------------------------------------------ Sign dialog

	class SignDialog {
		constructor(frm, options) {
			this.frm = frm;
			this.options = options;
			this.recipient = options.recipient || {};
			const templates = options.templates || [];
			this.last = templates.find((t) => t.name === options.last_used) || null;
			this.others = templates.filter((t) => t !== this.last);
			this.busy = false;
			this.make();
		}

		make() {
			this.dialog = new frappe.ui.Dialog({
				title: __("Send for signature: {0}", [esc(this.frm.doc.name)]),
				size: "large",
				fields: [
					{ fieldtype: "HTML", fieldname: "templates_html" },
					{
						fieldtype: "Section Break",
						fieldname: "adjust_section",
						label: __("Adjust recipient and channel"),
						collapsible: 1,
					},
					{
						fieldtype: "Data",
						fieldname: "recipient_name",
						label: __("Recipient Name"),
						default: this.recipient.name || "",
					},
					{
						fieldtype: "Data",
						fieldname: "recipient_email",
						label: __("Email"),
						options: "Email",
						default: this.recipient.email || "",
					},
					{ fieldtype: "Column Break" },
					{
						fieldtype: "Data",
						fieldname: "recipient_mobile",
						label: __("Mobile"),
						default: this.recipient.mobile || "",
					},
					channel_field(this.options.default_channel),
					{
						fieldtype: "Section Break",
						fieldname: "envelope_section",
						label: __("Add documents (one envelope, one visit)"),
						collapsible: 1,
					},
					{
						fieldtype: "MultiSelectList",
						fieldname: "more_templates",
						label: __("More templates"),
						description: __(
							"Signed together with the template you send; each document is sealed on its own."
						),
						get_data: () =>
							(this.options.templates || []).map((t) => ({
								value: t.name,
								description: t.template_name,
							})),
					},
					{ fieldtype: "Column Break" },
					{
						fieldtype: "Attach",
						fieldname: "more_pdf",
						label: __("A PDF to sign with it"),
						options: { restrictions: { allowed_file_types: [".pdf"] } },
					},
				],
			});
			this.dialog.$wrapper.addClass("crm-sign-dialog");
			this.render();
			// Nothing to send to: open "Adjust" right away.
			const section = this.dialog.fields_dict.adjust_section;
			if (!this.recipient.email && !this.recipient.mobile && section && section.collapse) {
				section.collapse(false);
			}
		}

		show() {
			this.dialog.show();
		}

		render() {
			const $area = this.dialog.fields_dict.templates_html.$wrapper;
			$area.html(this.html());
			$area.on("click", "[data-action]", (e) => {
				e.preventDefault();
				const $btn = $(e.currentTarget);
				const template = this.template_at($btn.attr("data-index"));
				const action = $btn.attr("data-action");
				if (action === "new") return this.new_template();
				if (!template) return;
				if (action === "preview") return this.preview(template);
				this.send(template, $btn);
			});
		}

		template_at(index) {
			if (index === "last") return this.last;
			return this.others[Number(index)] || null;
		}

		html() {
			const parts = [];
			if (this.last) {
				parts.push(`
					<div class="crm-sign-section-label">${esc(__("Last used"))}</div>
					<div class="crm-sign-reuse">
						<div class="crm-sign-template-info">
							<div class="crm-sign-template-name">${esc(this.last.template_name)}</div>
							<div class="crm-sign-template-meta">${this.meta(this.last)}</div>
							<div class="crm-sign-recipient">${this.recipient_line(this.last)}</div>
						</div>
						<div class="crm-sign-template-actions">
							<button class="btn btn-default btn-sm" data-action="preview" data-index="last">
								${esc(__("Preview"))}</button>
							<button class="btn btn-primary btn-md crm-sign-reuse-btn" data-action="send"
								data-index="last">${frappe.utils.icon("pen", "sm")}
								${esc(__("Reuse"))}</button>
						</div>
					</div>`);
			}
			if (this.others.length) {
				parts.push(
					`<div class="crm-sign-section-label">${esc(
						this.last ? __("Other templates") : __("Templates")
					)}</div>`
				);
				parts.push('<div class="crm-sign-template-list">');
				this.others.forEach((t, i) => {
					parts.push(`
						<div class="crm-sign-template-row">
							<div class="crm-sign-template-info">
								<div class="crm-sign-template-name">${esc(t.template_name)}</div>
								<div class="crm-sign-template-meta">${this.meta(t)}</div>
							</div>
							<div class="crm-sign-template-actions">
								<button class="btn btn-default btn-xs" data-action="preview"
									data-index="${i}">${esc(__("Preview"))}</button>
								<button class="btn btn-default btn-xs crm-sign-send-btn"
									data-action="send" data-index="${i}">${esc(__("Send"))}</button>
							</div>
						</div>`);
				});
				parts.push("</div>");
			}
			if (!this.last && !this.others.length) {
				parts.push(
					`<div class="crm-sign-empty text-muted">${esc(
						__("There is no signing template for {0} yet.", [__(this.frm.doctype)])
					)}</div>`
				);
			}
			if (this.options.can_create_template) {
				parts.push(`
					<div class="crm-sign-new">
						<button class="btn btn-link btn-sm" data-action="new">
							${frappe.utils.icon("add", "sm")} ${esc(__("New template"))}</button>
					</div>`);
			}
			return `<div class="crm-sign-templates">${parts.join("")}</div>`;
		}

		meta(template) {
			const bits = [esc(__(template.document_kind || "Other"))];
			bits.push(esc(__(template.channel || this.options.default_channel || "Email")));
			if (template.last_used_on) {
				bits.push(
					esc(__("used {0}", [frappe.datetime.prettyDate(template.last_used_on)]))
				);
			}
			return bits.join(" &middot; ");
		}

		recipient_line(template) {
			const r = this.recipient;
			const channel = template.channel || this.options.default_channel || "Email";
			const address = [];
			if (channel.includes("Email")) address.push(r.email || __("no e-mail"));
			if (channel.includes("SMS")) address.push(r.mobile || __("no mobile"));
			return `${esc(__("To"))}: <strong>${esc(r.name || "-")}</strong> &lt;${esc(
				address.join(", ")
			)}&gt;`;
		}

		// What the user changed in "Adjust"; null when nothing differs from the record.
		overrides() {
			const v = this.dialog.get_values(true) || {};
			const recipient = {
				name: (v.recipient_name || "").trim(),
				email: (v.recipient_email || "").trim(),
				mobile: (v.recipient_mobile || "").trim(),
			};
			const r = this.recipient;
			const changed =
				recipient.name !== (r.name || "") ||
				recipient.email !== (r.email || "") ||
				recipient.mobile !== (r.mobile || "");
			const documents = (v.more_templates || []).map((name) => ({ template: name }));
			if (v.more_pdf) documents.push({ file_url: v.more_pdf });
			return {
				recipient: changed ? recipient : null,
				channel: v.channel || null,
				documents,
			};
		}

		// A template with more than the two classic roles (a second client, a witness, a CC) asks
		// for a person for each role first, proposed by the server from the record.
		send(template, $btn) {
			if (this.busy) return;
			frappe
				.call({
					method: API + "get_signers",
					args: {
						doctype: this.frm.doctype,
						name: this.frm.docname,
						template: template.name,
					},
					freeze: true,
				})
				.then((r) => {
					const roles = (r && r.message) || [];
					const sides = roles.map((role) => role.side);
					const classic =
						roles.length <= 2 &&
						!sides.includes("CC") &&
						new Set(sides).size === sides.length;
					if (classic) return this.send_now(template, $btn);
					this.choose_signers(template, roles);
				});
		}

		choose_signers(template, roles) {
			const { recipient } = this.overrides();
			const first = roles.findIndex((role) => role.side === "Counterparty");
			if (recipient && first >= 0) Object.assign(roles[first], recipient);
			const fields = [];
			roles.forEach((role, i) => {
				const order =
					role.side === "CC"
						? __("receives a copy")
						: __("signs in step {0}", [role.step]);
				fields.push({
					fieldtype: "Section Break",
					label: `${esc(role.label)} · ${esc(__(role.side))} · ${esc(order)}`,
				});
				if (role.side === "Company") {
					fields.push({
						fieldtype: "Link",
						fieldname: `user_${i}`,
						label: __("User"),
						options: "User",
						reqd: 1,
						default: role.user || "",
					});
					return;
				}
				fields.push(
					{
						fieldtype: "Data",
						fieldname: `name_${i}`,
						label: __("Name"),
						default: role.name || "",
					},
					{ fieldtype: "Column Break" },
					{
						fieldtype: "Data",
						fieldname: `email_${i}`,
						label: __("Email"),
						options: "Email",
						default: role.email || "",
					},
					{ fieldtype: "Column Break" },
					{
						fieldtype: "Data",
						fieldname: `mobile_${i}`,
						label: __("Mobile"),
						default: role.mobile || "",
					}
				);
			});
			const dialog = new frappe.ui.Dialog({
				title: __("Who signs {0}", [esc(template.template_name)]),
				size: "large",
				fields,
				primary_action_label: __("Send"),
				primary_action: (values) => {
					const signers = roles.map((role, i) =>
						role.side === "Company"
							? { label: role.label, user: values[`user_${i}`] || "" }
							: {
									label: role.label,
									name: values[`name_${i}`] || "",
									email: values[`email_${i}`] || "",
									mobile: values[`mobile_${i}`] || "",
								}
					);
					dialog.hide();
					this.send_now(template, null, signers);
				},
			});
			dialog.$wrapper.addClass("crm-sign-signers-dialog");
			dialog.show();
		}

		send_now(template, $btn, signers) {
			if (this.busy) return;
			this.busy = true;
			const { recipient, channel, documents } = this.overrides();
			const $buttons = this.dialog.$wrapper.find("[data-action]").prop("disabled", true);
			const args = {
				doctype: this.frm.doctype,
				name: this.frm.docname,
				template: template.name,
			};
			if (channel) args.channel = channel;
			if (signers) args.signers = JSON.stringify(signers);
			else if (recipient) args.recipient = JSON.stringify(recipient);
			// The server refuses the sent template twice, so it is left out of the added ones.
			const more = documents.filter((d) => d.template !== template.name);
			if (more.length) args.documents = JSON.stringify(more);
			frappe
				.call({
					method: API + "send",
					args,
					freeze: true,
					freeze_message: __("Generating and sending {0}...", [
						esc(template.template_name),
					]),
				})
				.then((r) => {
					const result = r && r.message;
					if (!result) return;
					this.dialog.hide();
					crm_sign.desk.sent_alert(result);
					this.frm.reload_doc();
				})
				.always(() => {
					this.busy = false;
					$buttons.prop("disabled", false);
				});
		}

		preview(template) {
			crm_sign.desk.open_pdf(
				"/api/method/" +
					API +
					"preview?" +
					$.param({
						doctype: this.frm.doctype,
						name: this.frm.docname,
						template: template.name,
					})
			);
		}

		new_template() {
			const doctype = this.frm.doctype;
			this.dialog.hide();
			frappe.new_doc("Sign Template", { reference_doctype: doctype });
		}
	}
	crm_sign.desk.SignDialog = SignDialog;

	crm_sign.desk.sent_alert = function (result) {
		const link = `<a href="/app/sign-request/${encodeURIComponent(result.name)}">${esc(
			result.name
		)}</a>`;
		frappe.show_alert(
			{
				message: __("Sign Request {0} is {1}", [link, esc(__(result.status))]),
				indicator: result.status === "Sent" ? "green" : "blue",
			},
			10
		);
	};

	// Open a generated PDF in a new tab. The tab is opened during the click (so no popup blocker
	// interferes) and filled once the server answers; a server error closes it and shows the
	// server's message instead of a raw JSON page.
	crm_sign.desk.open_pdf = function (url) {
		const win = window.open("", "_blank");
		if (win) {
			win.opener = null;
			win.document.title = __("Preview");
			win.document.body.innerText = __("Generating the preview...");
		}
		frappe.dom.freeze(__("Generating the preview..."));
		fetch(url, { credentials: "same-origin", headers: { Accept: "application/pdf" } })
			.then(async (response) => {
				const type = response.headers.get("Content-Type") || "";
				if (response.ok && type.includes("pdf")) {
					const blob = await response.blob();
					const blob_url = URL.createObjectURL(blob);
					if (win) win.location.href = blob_url;
					else window.open(blob_url, "_blank");
					setTimeout(() => URL.revokeObjectURL(blob_url), 60 * 1000);
					return;
				}
				if (win) win.close();
				let data = {};
				try {
					data = await response.json();
				} catch (e) {
					data = {};
				}
				crm_sign.desk.show_server_error(data, response.status);
			})
			.catch(() => {
				if (win) win.close();
				frappe.msgprint(__("The preview could not be loaded. Check your connection."));
			})
			.finally(() => frappe.dom.unfreeze());
	};

	// The server's own messages (never a traceback), as frappe.call would show them.
	crm_sign.desk.show_server_error = function (data, status) {
		if (data && data._server_messages) {
			frappe.msgprint(JSON.parse(data._server_messages));
		} else {
			frappe.msgprint({
				title: __("Error"),
				indicator: "red",
				message: __("The server could not do this (HTTP {0}).", [esc(status)]),
			});
		}
	};

	// ------------------------------------------------------------------------------ timeline

	function reload_current_form() {
		if (window.cur_frm && cur_frm.doc && !cur_frm.is_new()) cur_frm.reload_doc();
	}

	$(document).on("click", ".crm-sign-resend", function (e) {
		e.preventDefault();
		const $btn = $(this);
		const request = $btn.attr("data-request");
		if (!request) return;
		$btn.prop("disabled", true);
		frappe
			.call({
				method: API + "resend",
				type: "POST",
				args: { request },
				freeze: true,
			})
			.then((r) => {
				frappe.show_alert(
					{
						message: __("New signing links sent to {0} signer(s)", [
							esc(r && r.message != null ? r.message : 0),
						]),
						indicator: "green",
					},
					7
				);
				reload_current_form();
			})
			.always(() => $btn.prop("disabled", false));
	});

	$(document).on("click", ".crm-sign-company-sign", function (e) {
		e.preventDefault();
		const $btn = $(this);
		const request = $btn.attr("data-request");
		if (!request) return;
		// Opened during the click; filled with the signing link when the server hands it out.
		const win = window.open("", "_blank");
		$btn.prop("disabled", true);
		frappe
			.call({
				method: API + "get_company_signing_link",
				type: "POST",
				args: { request },
				freeze: true,
			})
			.then((r) => {
				const url = r && r.message;
				if (!url) {
					if (win) win.close();
					return;
				}
				if (win) {
					win.opener = null;
					win.location.href = url;
				} else {
					window.open(url, "_blank", "noopener");
				}
			})
			.fail(() => win && win.close())
			.always(() => $btn.prop("disabled", false));
	});

	// ------------------------------------------------------------------------------ bulk send

	// The list view of every enabled doctype gets Actions → Send for signature. Frappe builds the
	// actions menu in ListView.get_actions_menu_items (v15 and v16); we add our item to its result.
	function add_list_action() {
		const ListView = frappe.views && frappe.views.ListView;
		if (!ListView || ListView.prototype.crm_sign_actions) return;
		const original = ListView.prototype.get_actions_menu_items;
		if (typeof original !== "function") return;
		ListView.prototype.crm_sign_actions = true;
		ListView.prototype.get_actions_menu_items = function () {
			const items = original.apply(this, arguments);
			if (registered.has(this.doctype) && frappe.model.can_create("Sign Request")) {
				items.push({
					label: __("Send for signature"),
					action: () =>
						crm_sign.desk.bulk_send(this.doctype, this.get_checked_items(true)),
					standard: false,
				});
			}
			return items;
		};
	}

	crm_sign.desk.bulk_send = function (doctype, names) {
		if (!names || !names.length) {
			frappe.msgprint(__("Select the records to send for signature first."));
			return;
		}
		frappe
			.call({ method: API + "get_bulk_send_options", args: { doctype }, freeze: true })
			.then((r) => {
				const options = (r && r.message) || {};
				const templates = options.templates || [];
				if (!templates.length) {
					frappe.msgprint(
						__("There is no signing template for {0} yet.", [esc(__(doctype))])
					);
					return;
				}
				if (names.length > options.max_records) {
					frappe.msgprint(
						__("Send for signature takes at most {0} records at a time", [
							options.max_records,
						])
					);
					return;
				}
				const last = templates.find((t) => t.name === options.last_used) || templates[0];
				const dialog = new frappe.ui.Dialog({
					title: __("Send for signature"),
					fields: [
						{
							fieldtype: "HTML",
							fieldname: "intro",
							options: `<p class="crm-sign-bulk-intro">${esc(
								__("{0} {1} selected. Each gets its own document and link.", [
									names.length,
									__(doctype),
								])
							)}</p>`,
						},
						{
							fieldtype: "Select",
							fieldname: "template",
							label: __("Sign Template"),
							reqd: 1,
							options: templates.map((t) => ({
								value: t.name,
								label: t.template_name,
							})),
							default: last.name,
						},
						channel_field(options.default_channel),
					],
					primary_action_label: __("Send {0}", [names.length]),
					primary_action: (values) => {
						dialog.get_primary_btn().prop("disabled", true);
						frappe
							.call({
								method: API + "start_bulk_send",
								type: "POST",
								args: {
									doctype,
									names: JSON.stringify(names),
									template: values.template,
									channel: values.channel || null,
								},
								freeze: true,
							})
							.then((res) => {
								dialog.hide();
								if (res && res.message) watch_bulk_send(res.message.batch);
							})
							.always(() => dialog.get_primary_btn().prop("disabled", false));
					},
				});
				dialog.$wrapper.addClass("crm-sign-bulk-dialog");
				dialog.show();
			});
	};

	// Progress bar while the jobs run, then the summary: every record, sent or refused and why.
	function watch_bulk_send(batch) {
		const title = __("Sending for signature");
		const poll = () =>
			frappe
				.call({ method: API + "bulk_send_status", args: { batch }, silent: true })
				.then((r) => {
					const status = r && r.message;
					if (!status) return;
					frappe.show_progress(
						title,
						status.done,
						status.total,
						__("{0} of {1} done: {2} sent, {3} refused", [
							status.done,
							status.total,
							status.sent,
							status.refused,
						]),
						true
					);
					if (status.done < status.total) {
						setTimeout(poll, 1000);
						return;
					}
					frappe.hide_progress();
					show_bulk_summary(status);
					if (window.cur_list && window.cur_list.doctype === status.doctype)
						window.cur_list.refresh();
				})
				.fail(() => setTimeout(poll, 3000));
		frappe.show_progress(title, 0, 1, __("Queued..."), true);
		poll();
	}

	function show_bulk_summary(status) {
		// Refused records first: they are the ones that need the user.
		const ordered = status.results
			.filter((result) => result.status !== "Sent")
			.concat(status.results.filter((result) => result.status === "Sent"));
		const rows = ordered.map((result) => {
			const record = `<a href="/app/${esc(frappe.router.slug(status.doctype))}/${esc(
				encodeURIComponent(result.name)
			)}">${esc(result.name)}</a>`;
			const outcome =
				result.status === "Sent"
					? `<span class="indicator-pill green">${esc(__("Sent"))}</span>
						<a href="/app/sign-request/${esc(encodeURIComponent(result.request))}">${esc(result.request)}</a>`
					: `<span class="indicator-pill red">${esc(__("Refused"))}</span>
						<span class="crm-sign-bulk-reason">${esc(result.reason)}</span>`;
			return `<tr data-record="${esc(result.name)}" data-status="${esc(result.status)}">
				<td>${record}</td><td>${outcome}</td></tr>`;
		});
		const dialog = new frappe.ui.Dialog({
			title: __("Send for signature: {0}", [esc(status.template_name)]),
			size: "large",
			fields: [{ fieldtype: "HTML", fieldname: "summary" }],
		});
		dialog.fields_dict.summary.$wrapper.html(`
			<p class="crm-sign-bulk-totals">${esc(
				__("{0} sent, {1} refused", [status.sent, status.refused])
			)}</p>
			<div class="crm-sign-bulk-table"><table class="table table-sm">
				<thead><tr><th>${esc(__(status.doctype))}</th><th>${esc(__("Result"))}</th></tr></thead>
				<tbody>${rows.join("")}</tbody>
			</table></div>`);
		dialog.$wrapper.addClass("crm-sign-bulk-summary");
		dialog.show();
	}

	// Last, once everything above is defined.
	add_list_action();
	if (frappe.boot && frappe.boot.crm_sign) register_from_boot();
	$(document).on("app_ready", register_from_boot);
})();
