"""Delivery channels. `twilio_sms` has no frappe import so it is tested with plain pytest."""
