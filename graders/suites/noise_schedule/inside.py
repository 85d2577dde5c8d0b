"""Sandbox-side helper of the noise_schedule hidden suite: a generic module loader, so the
judge can send the suite's baseline.py to the baseline sandbox only (while the harness cannot
put it there itself). Nothing here is a solution."""

from __future__ import annotations
