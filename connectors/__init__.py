"""Speak each platform's API through its client library. Platform-neutral
records out; no tickets, no database."""
