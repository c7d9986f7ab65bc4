"""Outputs: the results workbook, the scoring guide, shared cell styles and atomic file writes."""
