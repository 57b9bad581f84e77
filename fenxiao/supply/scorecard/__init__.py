"""Service levels and the supplier scorecard (供应商考核): overdue shipments, the monthly figures of
each fulfilment route (each supplier, and the platform warehouse), their trend, and the monthly
evaluation that warns or suspends a supplier below the thresholds."""
