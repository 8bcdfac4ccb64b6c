"""Services: the one door for every write. They flush; the caller commits."""
