"""Scoring: facts to durable_rules decisions to points, recognition, flags, ranks and the results model."""
