"""OGC API – Features: core, CRS by reference, filtering, transactions."""
