"""Stage automation: rules that send for signature when a record enters a stage, triggers that act on
the record when a signer acts, the Workflow editor integration, reminders and expiry."""
