"""Urban planning: lookup of what applies to a place or parcel."""
