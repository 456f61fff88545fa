"""Review feeds (RSS, Atom, JSON Feed): the connector through requests, the
parsing of feeds, its part of the emulator and recorded feeds (`fixtures/`)."""
