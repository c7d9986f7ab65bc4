"""The rules engine: load, validate, compile and run criteria sets; read evidence; write results."""
