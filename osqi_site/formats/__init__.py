"""The machine-readable formats: OSV, CSAF, CVE JSON 5, feeds, security.txt, checksums, search and index entries.

Each takes public disclosures (and settings) and returns bytes; imports the core only.
"""
