"""The supplier portal: what a supplier's own account sees and does — the shipments routed to it, its
returns, its stock and cost prices, its profile — through the API (`api`) and the phone pages."""
