"""Evidence in: typed cells from workbooks, CSV, YAML or JSON, and the template teams fill."""
