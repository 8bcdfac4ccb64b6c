"""Declarative workflow definitions per program and the one engine that runs them."""
