"""Scheduled polling and webhook intake: store each new post once, score it, raise and route tickets."""
