"""Maintenance scripts for the guide; they do not import chatlib."""
