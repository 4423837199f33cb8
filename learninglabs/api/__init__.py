"""The Learning Lab part of the REST API: progress pushes."""
