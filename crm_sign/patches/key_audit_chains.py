"""Re-hash audit chains written before the chain was keyed (plain SHA-256 -> HMAC-SHA256).

Each chain is verified in its old form first, so a chain that was already tampered with stays
unverifiable instead of being laundered into a valid keyed one.
"""

import frappe

from crm_sign.engine.audit import rekey_chain
from crm_sign.engine.errors import AuditChainError
from crm_sign.signing.audit_log import audit_key, chain_of


def execute():
	key = audit_key()
	for name in frappe.get_all("Sign Audit Event", distinct=True, pluck="sign_request"):
		try:
			entries = rekey_chain(chain_of(name), name, key=key, old_key=None)
		except AuditChainError:
			continue  # tampered or already keyed: left as it is, and it will not verify
		table = frappe.qb.DocType("Sign Audit Event")
		for entry in entries:
			(
				frappe.qb.update(table)
				.set(table.prev_hash, entry.prev_hash)
				.set(table.hash, entry.hash)
				.where((table.sign_request == name) & (table.seq == entry.seq))
			).run()
