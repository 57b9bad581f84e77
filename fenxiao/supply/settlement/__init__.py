"""Supplier settlement: statements per cycle at cost net of refunds, the supplier's confirmation, payout
batches approved by a second finance member, and their postings to the ledger."""
