"""Sandbox-side helper of the latency_budget_features hidden suite (it holds no solution)."""
