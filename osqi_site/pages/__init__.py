"""The site's pages: Markdown of generated pages, Markdown-to-HTML conversion, figures, projects under care.

Imports the core and the formats; knows nothing of MkDocs.
"""
