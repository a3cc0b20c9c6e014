"""The tests' fixed values: the credentials the simulator accepts, the demo job ids, the repository root."""

from __future__ import annotations

from pathlib import Path

API_KEY = "qov_test_0123456789abcdefSECRET"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlU0VDUkVU"
MIGRATIONS = "0b7e3c1a-6d2f-4f8e-9a41-5c3b8d2e7f60"
NIGHTLY = "d4a2f9c6-1e8b-4c7d-b3a5-7f9e2c4a6b18"
CLEANUP = "8f1d5b3e-2a9c-4e6f-8b7d-3c5a1e9f0d24"
MISSING = "11111111-2222-4333-8444-555555555555"
ROOT = Path(__file__).resolve().parent.parent.parent
