"""The build machinery: one build's check → gate → problems → alarms, outputs, the leak scan, the publishing
transaction, and everything that exists for speed (worker pool, caches, memos, stored scan verdicts).
"""
