"""Sandbox-side helper of the delayed_bandit hidden suite (it holds no solution)."""
