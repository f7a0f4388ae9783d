"""osqi_site: publishes OSQI vulnerability disclosures as a gated static site with feeds and OSV records."""

__version__ = "0.1.0"
