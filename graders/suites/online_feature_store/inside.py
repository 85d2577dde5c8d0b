"""Sandbox-side helper of the online_feature_store hidden suite: a generic module loader (the
judge sends the suite's baseline.py to the baseline sandbox only, while the harness cannot put
it there itself). Nothing here knows the kata's answers."""

from __future__ import annotations
