"""Template tags of the scheduling pages."""
