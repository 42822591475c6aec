"""The generator: schemas/ -> typed wrappers and pydantic models (see codegen.generate)."""
