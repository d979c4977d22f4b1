"""Reference solutions: the single source the student stubs in exercises/ are generated from."""
