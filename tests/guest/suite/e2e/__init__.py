"""Helpers of the real-hub end-to-end test (test_e2e_hub.py)."""
