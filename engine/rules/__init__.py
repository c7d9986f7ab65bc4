"""Rules in: read a rule file with line numbers, validate it, compile its conditions."""
