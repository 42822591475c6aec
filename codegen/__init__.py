"""Developer tools for b24typed: schema importers, coverage report and code generator."""
