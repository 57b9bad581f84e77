"""The mobile pages, one module per area; `helpers` holds what they share."""
