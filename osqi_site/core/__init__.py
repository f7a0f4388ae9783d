"""The core: the disclosure model, loading, validation, the embargo gate and alarms.

Pure and serial; the clock arrives as a parameter; imports nothing else of the package. Everything published is
decided here (``gate.publish``).
"""
