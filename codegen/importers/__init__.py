"""Importers that turn external API descriptions into schema files."""
