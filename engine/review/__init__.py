"""The province's re-check: the seal on results, reading a team's results back, re-scoring and
listing discrepancies, drawing units for on-site checks, and reading the decisions taken."""
