"""Reddit: the connector through praw, the parsing of listings, its part of
the emulator and recorded answers (`fixtures/`)."""
