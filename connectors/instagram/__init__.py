"""Instagram professional accounts through the Graph API (the page-linked
account of a Meta app): the connector through facebook-sdk, the parsing of
Graph objects and webhook deliveries, its part of the emulator and
recorded payloads (`fixtures/`)."""
