"""Product samples (样品): distributors ask for samples within a monthly quota of their level; supply
chain approves a request into a zero-price order shipped from the samples' own stock."""
