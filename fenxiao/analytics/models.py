"""Analytics owns no tables: team figures and leaderboards are read from orders and the distributor
network as they are (see selectors.py)."""
