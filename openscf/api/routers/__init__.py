"""Routers, one module per group of resources."""
