"""Learning Lab programs, student goals and progress (built by the Learning Lab issue)."""
