"""Which brand a labelled post was addressed to, that brand's industry, and
which brands are held out: the models are fitted on the other brands only,
so the figures measured on these are for brands they never saw.

A brand keeps one name across the data sets (@AppleSupport and @Apple are
both "apple"; @comcastcares, @comcast and @xfinity are "comcast"), so a
held-out brand is held out everywhere."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable

# handle or company (lower case) -> (brand, industry)
_BRANDS = {
    "airline": {
        "delta": "delta", "virgin america": "virgin_america", "british_airways": "british_airways",
        "airasiasupport": "airasia", "virginatlantic": "virgin_atlantic",
    },
    "rail_and_transit": {
        "virgintrains": "virgin_trains", "gwrhelp": "gwr", "sw_help": "south_western_railway",
        "londonmidland": "london_midland", "nationalrailenq": "national_rail", "tfl": "tfl",
    },
    "hospitality": {"airbnbhelp": "airbnb", "ihgservice": "ihg", "kimpton": "kimpton", "hiltonhelp": "hilton"},
    "delivery_and_rides": {
        "uber_support": "uber", "asklyft": "lyft", "postmates_help": "postmates", "doordash_help": "doordash",
        "upshelp": "ups",
    },
    "retail": {
        "amazonhelp": "amazon", "tesco": "tesco", "sainsburys": "sainsburys", "marksandspencer": "marks_and_spencer",
        "morrisons": "morrisons", "aldiuk": "aldi", "argoshelpers": "argos", "asktarget": "target",
        "walmart": "walmart", "askebay": "ebay", "sizehelpteam": "size", "neweggservice": "newegg", "moo": "moo",
        "nikesupport": "nike",
    },
    "food": {
        "chipotletweets": "chipotle", "mcdonalds": "mcdonalds", "greggsofficial": "greggs",
        "tacobellteam": "taco_bell", "dunkindonuts": "dunkin", "askpapajohns": "papa_johns",
        "kfc_uki_help": "kfc", "arbyscares": "arbys", "carlsjr": "carls_jr", "askpanera": "panera",
    },
    "tech": {
        "apple": "apple", "applesupport": "apple", "microsofthelps": "microsoft", "azuresupport": "microsoft",
        "hpsupport": "hp", "dellcares": "dell", "adobecare": "adobe", "dropboxsupport": "dropbox",
        "twittersupport": "twitter", "yahoocare": "yahoo", "nortonsupport": "norton", "askseagate": "seagate",
        "awssupport": "amazon_web_services", "asksalesforce": "salesforce", "mediatemplehelp": "media_temple",
        "godaddyhelp": "godaddy", "asurioncares": "asurion",
    },
    "gaming": {"xboxsupport": "xbox", "askplaystation": "playstation", "atviassist": "activision"},
    "media": {
        "spotifycares": "spotify", "hulu": "hulu", "hulu_support": "hulu", "googleplaymusic": "google_play_music",
        "pandorasupport": "pandora", "scsupport": "soundcloud", "netflix": "netflix",
    },
    "telecom": {
        "tmobilehelp": "tmobile", "tmobile": "tmobile", "ask_spectrum": "spectrum", "comcastcares": "comcast",
        "comcast": "comcast", "xfinity": "comcast", "o2": "o2", "verizonsupport": "verizon", "verizon": "verizon",
        "vzwsupport": "verizon", "sprintcare": "sprint", "sprint": "sprint", "safaricom_care": "safaricom",
        "idea_cares": "idea", "glocare": "glo", "coxhelp": "cox", "airtel_care": "airtel", "att": "att",
        "attcares": "att", "centurylinkhelp": "centurylink", "vmucare": "virgin_mobile", "boostcare": "boost",
        "mtnc_care": "mtn", "dish": "dish", "ringplusmobile": "ringplus",
    },
    "finance": {
        "askpaypal": "paypal", "askamex": "amex", "american express company": "amex", "bofa_help": "bank_of_america",
        "bank of america, national association": "bank_of_america", "chasesupport": "chase",
        "jpmorgan chase & co.": "chase", "ask_wellsfargo": "wells_fargo", "wells fargo & company": "wells_fargo",
        "askciti": "citi", "citibank, n.a.": "citi", "askrbc": "rbc", "askvisa": "visa",
        "askvirginmoney": "virgin_money", "askrobinhood": "robinhood",
    },
}
BRANDS = {name: (brand, industry) for industry, names in _BRANDS.items() for name, brand in names.items()}
INDUSTRIES = tuple(_BRANDS)
# The held-out brands: a seeded draw in each industry, about this share of
# its labelled posts.
SPLIT_SEED = 2015
HELD_OUT_SHARE = 0.3


def brand_of(name: str, industry: str = "") -> tuple[str, str]:
    """(brand, industry) of a handle or company name; a name not in the
    table is its own brand, in `industry` (a company of the consumer-finance
    complaints is in "finance")."""
    key = name.strip().lstrip("@").lower()
    if not key:
        return "", industry
    return BRANDS.get(key) or (re.sub(r"\W+", "_", key).strip("_"), industry)


def held_out_brands(posts: Iterable[tuple[str, str]], always: Iterable[str] = (), seed: int = SPLIT_SEED,
                    share: float = HELD_OUT_SHARE) -> frozenset[str]:
    """The brands held out, from (brand, industry) of every labelled post:
    in each industry a seeded order of its brands, each taken while the
    posts taken stay within `share` (at least one brand of an industry with
    two or more), plus the brands in `always`."""
    counts = Counter((industry, brand) for brand, industry in posts if brand)
    held = set(always)
    for industry in sorted({industry for industry, _ in counts}):
        brands = sorted(brand for i, brand in counts if i == industry)
        total = sum(counts[industry, brand] for brand in brands)
        random.Random(f"{seed}:{industry}").shuffle(brands)
        taken = sum(counts[industry, brand] for brand in brands if brand in held)
        for brand in brands:
            if brand not in held and taken + counts[industry, brand] <= share * total:
                held.add(brand)
                taken += counts[industry, brand]
        if len(brands) > 1 and not held.intersection(brands):
            held.add(min(brands, key=lambda brand: counts[industry, brand]))
    return frozenset(held)
