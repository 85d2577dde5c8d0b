"""Sandbox-side helper of the edge_upload_policy hidden suite (it holds no solution)."""
