"""The MkDocs adapter: the plugin's event handlers and page pre-rendering — the only code that imports MkDocs."""
