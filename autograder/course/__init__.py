"""Course operations after a bulk run: similarity, the LMS gradebook, late penalties, the regrade record,
the TA's page."""
