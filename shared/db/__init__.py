"""PostgreSQL: connections, the schema, and one module per table (the only modules with SQL)."""
