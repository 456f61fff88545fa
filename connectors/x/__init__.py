"""X (Twitter): the connector through tweepy, the parsing of its payloads,
its part of the emulator and recorded payloads (`fixtures/`)."""
