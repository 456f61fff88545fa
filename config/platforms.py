"""The platforms closeloop speaks: each one's name, how people see it (its
label, and how its handles are written), and the connector class that
speaks it, as a dotted path that only `connectors.registry` imports.
Written here so that every package can read them while config imports
nothing of ours. Everything else about a platform is declared on its
connector class.

Adding a platform is one new folder, `connectors/<name>/` (its connector,
parser, emulator part and recorded payloads), and one line below."""

CONNECTORS = {
    "x": "connectors.x.connector:XConnector",
    "facebook": "connectors.facebook.connector:FacebookConnector",
    "reddit": "connectors.reddit.connector:RedditConnector",
    "reviews": "connectors.reviews.connector:ReviewFeedConnector",
    "instagram": "connectors.instagram.connector:InstagramConnector",
}
PLATFORMS = tuple(CONNECTORS)

LABELS = {"x": "X", "facebook": "Facebook", "reddit": "Reddit", "reviews": "Reviews", "instagram": "Instagram"}
# What goes before a handle where the platform has handles people type;
# Facebook and review sites show names only.
HANDLE_PREFIXES = {"x": "@", "reddit": "u/", "instagram": "@"}
