"""The platforms closeloop speaks: each one's name and the connector class
that speaks it, as a dotted path that only `connectors.registry` imports.
Written here so that every package can read the names while config
imports nothing of ours. Everything else about a platform is declared on
its connector class.

Adding a platform is one new folder, `connectors/<name>/` (its connector,
parser, emulator part and recorded payloads), and one line below."""

CONNECTORS = {
    "x": "connectors.x.connector:XConnector",
    "facebook": "connectors.facebook.connector:FacebookConnector",
    "reddit": "connectors.reddit.connector:RedditConnector",
    "reviews": "connectors.reviews.connector:ReviewFeedConnector",
}
PLATFORMS = tuple(CONNECTORS)
