"""The demo: the emulator, the service on a fresh database with a demo team,
and a stream of customer posts, so the whole loop can be watched and worked
in a browser."""

from __future__ import annotations

import logging
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click
import requests

from closeloop.runtime import Runtime
from closeloop.startup import check_port_free
from config import load_settings
from store.accounts import create_agent
from store.canned import save_canned
from store.db import Database

log = logging.getLogger(__name__)

# Name, login, role, presence and capacity. The senior, who takes every
# urgent ticket and nobody answers in the demo, has room for more of them.
TEAM = [
    ("Ada Admin", "admin@demo.local", "admin", "offline", 8),
    ("Morgan Manager", "manager@demo.local", "manager", "offline", 8),
    ("Sasha Senior", "senior@demo.local", "senior", "online", 20),
    ("Alex Agent", "agent@demo.local", "agent", "online", 8),
    ("Robin Agent", "agent2@demo.local", "agent", "online", 8),
]

CUSTOMERS = [
    ("maria_k", "Maria K.", 312), ("tom_builds", "Tom Okafor", 1840), ("jules_v", "Jules Verner", 95),
    ("priya_reads", "Priya S.", 22400), ("ben_on_bikes", "Ben", 640), ("lena_travels", "Lena Hoffmann", 5300),
    ("dave_r", "Dave R.", 41), ("noor_a", "Noor A.", 1210), ("kenji_t", "Kenji T.", 150000),
    ("sofia_m", "Sofia Marquez", 870), ("chris_p", "Chris P.", 57), ("aisha_writes", "Aisha B.", 3100),
]

# The team's canned responses, as an agent finds them in the reply box.
CANNED = [
    ("Delivery delay apology", "Hi {first_name}, I'm sorry your order is late. I've asked the courier for an "
                               "update on {ticket_ref} and will get back to you today. {agent_name}"),
    ("Refund on its way", "Hi {first_name}, sorry for the trouble. I've started your refund; it reaches your "
                          "account within 5 working days. {agent_name}, {brand}"),
    ("Move to direct message", "Hi {first_name}, we'd like to look into this with you. Could you send us a direct "
                               "message with your order number? Please don't post it here. {agent_name}"),
    ("Safety: stop using it", "Hi {first_name}, please stop using the product and unplug it now. Your safety "
                              "comes first: we'll replace it free of charge. I've flagged {ticket_ref} as urgent. "
                              "{agent_name}"),
    ("Thanks for the kind words", "Thank you {first_name}! We're so glad to hear it, and we'll pass it on to the "
                                  "team. {brand}"),
]

POSTS = [
    "My AcmeBox order #4471 was due Monday and it still hasn't arrived. Nobody answers the phone. Terrible.",
    "Charged twice for the same AcmeBox subscription this month. I want a refund.",
    "How do I change the delivery address on an order I already placed?",
    "The AcmeBox heater I bought started smoking and smells like it's burning. Is it safe to use?",
    "Your app keeps crashing every time I open my orders page. Is something down?",
    "Thanks for the fast delivery, the AcmeBox arrived a day early and works great!",
    "Been on hold for 45 minutes. This is the worst customer service I have ever had.",
    "Can I get an invoice with my company's VAT number on it?",
    "Third time my parcel went to the wrong address. If this happens again I'm cancelling my account.",
    "Loving the new AcmeBox colours, nice work team",
    "I was told a refund would take 5 days. It has been three weeks. Where is my money?",
    "Does the AcmeBox mini work with 110V outlets?",
    "Box arrived crushed and the glass inside is broken. Really disappointed.",
    "Someone logged into my account and changed my email. I think I've been hacked, please help!",
    "Your courier left my package in the rain, everything is soaked.",
    "Quick question: when does the winter sale end?",
    "Customer support sorted my issue in 5 minutes. Brilliant, thank you Alex!",
    "I can't log in since the update, password reset email never arrives.",
    "Cancel my subscription now. I have asked three times already and I'm still being charged.",
    "What a disappointment. Paid for express shipping, got it a week late.",
]


def run_demo(*, port: int, emulator_port: int, password: str, data_dir: str | None, posts_every: float,
             spike_after: float) -> None:
    from connectors.emulator.mail import MailCatcher
    from connectors.emulator.server import EmulatorServer

    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="closeloop-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_file = folder / "demo.db"
    if database_file.exists():
        raise click.ClickException(f"{database_file} exists already: the demo starts on a fresh database")
    check_port_free("127.0.0.1", port, what="web", how="closeloop demo --port P")
    check_port_free("127.0.0.1", emulator_port, what="emulator", how="closeloop demo --emulator-port Q")

    emulator = EmulatorServer(port=emulator_port, brand_handle="acme", brand_name="Acme")
    emulator.start()
    mail = MailCatcher(on_message=lambda m: log.info("alert mail to %s: %s", ", ".join(m.recipients), m.subject))
    mail.start()
    settings = demo_settings(database_url=f"sqlite:///{database_file}", emulator_url=emulator.url, port=port,
                             smtp_port=mail.port)
    db = Database(settings.database.url)
    db.migrate()
    seed_team(db, password)

    runtime = Runtime(settings, db=db)
    runtime.start_jobs()
    stop = threading.Event()
    feeder = threading.Thread(target=feed_posts, args=(emulator.url, posts_every, spike_after, stop), daemon=True,
                              name="demo-posts")
    feeder.start()

    spike_note = (f"After {spike_after:g} s, twenty customers complain\nabout failed payments at once: "
                  "watch the spike alert and the dashboard's trends. " if spike_after > 0 else "")
    click.echo(f"""
closeloop demo
  inbox:     http://127.0.0.1:{port}/inbox
  emulator:  {emulator.url}/_emulator/<x|facebook|instagram|reddit|reviews>/posts
             (direct messages: {emulator.url}/_emulator/x/direct_messages, .../<facebook|instagram>/messages)
  alerts:    Slack at {emulator.url}/_emulator/slack/messages, email to 127.0.0.1:{mail.port} (logged here)
  database:  {database_file}
  logins (password "{password}"): {", ".join(email for _, email, *_ in TEAM)}
Customer posts arrive every few seconds on X, Facebook, Instagram, Reddit and
a review feed; reply from a ticket and watch the reply appear on the emulator
under the customer's post. Messenger and Instagram direct messages are
answered within 24 hours of the customer's last message: Dave R.'s Messenger
conversation is two days old, so an answer to it is refused. Response-time targets are minutes long here, so
breaches, escalations and alerts show soon; a resolved complaint gets its
follow-up half a minute later. {spike_note}Ctrl-C stops.
""")
    try:
        runtime.serve(host="127.0.0.1", port=port)
    finally:
        stop.set()
        runtime.stop()
        mail.stop()
        emulator.stop()


# Short targets, so that a breach, its escalation and its alerts show within
# minutes of starting the demo.
DEMO_MINUTES = {
    "first_response_minutes": {"urgent": 2, "high": 4, "normal": 8, "low": 15},
    "next_response_minutes": {"urgent": 2, "high": 4, "normal": 8, "low": 15},
    "resolution_minutes": {"urgent": 20, "high": 30, "normal": 60, "low": 120},
}


def demo_settings(*, database_url: str, emulator_url: str, port: int, smtp_port: int = 25):
    from connectors.facebook import emulator as facebook
    from connectors.instagram import emulator as instagram
    from connectors.reddit import emulator as reddit
    from connectors.x import emulator as x

    return load_settings(env={}, overrides={
        "database": {"url": database_url},
        "web": {"port": port, "host": "127.0.0.1"},
        "brand": {"name": "Acme"},
        "sla": {**DEMO_MINUTES, "check_seconds": 5},
        "listener": {"tick_seconds": 2},
        "outbox": {"interval_seconds": 1},
        "followups": {"delay_minutes": 0.5, "answer_window_hours": 0.25, "check_seconds": 5,
                      "per_customer_days": 0},
        "spikes": {"window_minutes": 10, "min_count": 10, "check_seconds": 10},
        "moderation": {"auto_hide_spam": True, "check_seconds": 5},
        "teams": {"care": {"leads": ["manager@demo.local"], "alert_emails": ["care-leads@demo.local"],
                           "slack_channel": "C0CARE"}},
        "alerts": {"interval_seconds": 2, "base_url": f"http://127.0.0.1:{port}", "smtp_host": "127.0.0.1",
                   "smtp_port": smtp_port, "smtp_from": "closeloop@demo.local", "slack_token": "xoxb-demo",
                   "slack_api_url": f"{emulator_url}/_emulator/slack/api/"},
        "accounts": {
            "demo_x": {"platform": "x", "base_url": emulator_url, "post_page": _post_page(emulator_url, "x"),
                       "user_id": str(x.FIRST_USER_ID),
                       "consumer_key": "demo-key", "consumer_secret": "demo-secret", "access_token": "demo-token",
                       "access_token_secret": "demo-token-secret"},
            "demo_facebook": {"platform": "facebook", "base_url": emulator_url,
                              "post_page": _post_page(emulator_url, "facebook", "view"), "page_id": facebook.PAGE_ID,
                              "page_access_token": "demo-page-token", "app_secret": facebook.DEFAULT_APP_SECRET,
                              "verify_token": "demo-verify"},
            "demo_instagram": {"platform": "instagram", "base_url": emulator_url + instagram.PREFIX,
                               "post_page": _post_page(emulator_url, "instagram", "view"),
                               "ig_user_id": instagram.IG_USER_ID, "username": "acme", "page_id": facebook.PAGE_ID,
                               "page_access_token": "demo-page-token", "app_secret": facebook.DEFAULT_APP_SECRET,
                               "verify_token": "demo-verify"},
            "demo_reddit": {"platform": "reddit", "base_url": emulator_url,
                            "post_page": _post_page(emulator_url, "reddit"), "client_id": reddit.CLIENT_ID,
                            "client_secret": reddit.CLIENT_SECRET, "username": "acme", "password": reddit.PASSWORD},
            "demo_reviews": {"platform": "reviews", "base_url": emulator_url,
                             "post_page": _post_page(emulator_url, "reviews"),
                             "reply_url": "/reviews/{review_id}/replies", "api_key": "demo-review-key"},
        },
        "sources": [
            {"name": "x-mentions", "account": "demo_x", "kind": "mentions", "poll_seconds": 5},
            {"name": "x-search-acmebox", "account": "demo_x", "kind": "search", "target": "acmebox",
             "poll_seconds": 15},
            {"name": "x-direct-messages", "account": "demo_x", "kind": "direct_messages", "poll_seconds": 5},
            {"name": "facebook-page-posts", "account": "demo_facebook", "kind": "page_posts",
             "target": facebook.PAGE_ID, "poll_seconds": 5},
            {"name": "facebook-comments", "account": "demo_facebook", "kind": "comments",
             "target": facebook.PAGE_ID, "poll_seconds": 5},
            {"name": "facebook-reviews", "account": "demo_facebook", "kind": "reviews",
             "target": facebook.PAGE_ID, "poll_seconds": 10},
            {"name": "facebook-messages", "account": "demo_facebook", "kind": "messages", "poll_seconds": 5},
            {"name": "instagram-comments", "account": "demo_instagram", "kind": "comments", "poll_seconds": 5},
            {"name": "instagram-mentions", "account": "demo_instagram", "kind": "mentions", "poll_seconds": 10},
            {"name": "instagram-messages", "account": "demo_instagram", "kind": "messages", "poll_seconds": 5},
            {"name": "reddit-mentions", "account": "demo_reddit", "kind": "mentions", "poll_seconds": 5},
            {"name": "reddit-acmebox-posts", "account": "demo_reddit", "kind": "search", "target": "acme",
             "query": "acmebox", "poll_seconds": 10},
            {"name": "reddit-acmebox-comments", "account": "demo_reddit", "kind": "comments", "target": "acme",
             "query": "acmebox", "poll_seconds": 10},
            {"name": "review-feed", "account": "demo_reviews", "kind": "feed", "target": "/reviews/feed.xml",
             "poll_seconds": 10},
        ],
    })


def _post_page(emulator_url: str, platform: str, page: str = "posts") -> str:
    """The emulator's page of a post: where "view on" links go in the demo
    (`view`: the page of a post, or of a direct message's conversation)."""
    return f"{emulator_url}/_emulator/{platform}/{page}/{{id}}"


def seed_team(db: Database, password: str) -> None:
    """The demo team, and the canned responses its manager wrote."""
    from config import SystemClock

    now = SystemClock().now()
    with db.transaction() as session:
        for name, email, role, presence, capacity in TEAM:
            create_agent(session, name=name, email=email, password=password, role=role, now=now,
                         presence=presence, capacity=capacity)
        for title, body in CANNED:
            save_canned(session, title=title, body=body, actor="manager@demo.local", now=now)


PRAISE = {"Thanks for the fast delivery, the AcmeBox arrived a day early and works great!",
          "Loving the new AcmeBox colours, nice work team",
          "Customer support sorted my issue in 5 minutes. Brilliant, thank you Alex!"}
# Plain questions, which a reviewer posts with a fair rating rather than one star.
QUESTIONS = {"How do I change the delivery address on an order I already placed?",
             "Can I get an invoice with my company's VAT number on it?",
             "Does the AcmeBox mini work with 110V outlets?",
             "Quick question: when does the winter sale end?"}


SPIKE_SIZE = 20
SPIKE_POSTS = [
    "@acme my card payment failed again at checkout. Order {n} is stuck, this is ridiculous.",
    "@acme payment declined three times, my bank says it's fine. What is going on?",
    "@acme took the payment twice and the order still says failed. Fix this now.",
    "@acme your payment page just errors out. Can't pay, can't order. Useless.",
]


class DemoFeeder:
    """Posts demo customer posts on the emulator, on a random platform each
    time: tweets, Facebook page posts, comments and recommendations,
    Instagram comments and mentions, Reddit mentions, posts and comments,
    and entries of the review feed."""

    def __init__(self, emulator_url: str, rng: random.Random | None = None,
                 texts: Callable[[int], str] | None = None):
        self.url = emulator_url
        self.rng = rng or random.Random()
        self.posts = POSTS[:]
        self.rng.shuffle(self.posts)
        self.texts = texts or (lambda n: self.posts[n % len(self.posts)])
        self.sent = 0
        self.page_post: str | None = None
        self.brand_photo: str | None = None

    def burst(self, count: int) -> None:
        """`count` customers complain about failed payments on X at once."""
        for n in range(count):
            text = self.rng.choice(SPIKE_POSTS).format(n=n + 1)
            self._x(f"shopper_{n + 1:02d}", f"Shopper {n + 1}", self.rng.randint(20, 900), text)

    def post_one(self) -> None:
        handle, name, followers = self.rng.choice(CUSTOMERS)
        text = self.texts(self.sent)
        self.sent += 1
        platform = self.rng.choice(("x", "x", "facebook", "instagram", "reddit", "reviews"))
        getattr(self, f"_{platform}")(handle, name, followers, text)

    def _x(self, handle, name, followers, text):
        self._control("x", {"author": {"handle": handle, "name": name, "followers": followers}, "text": text,
                            "media": self._attached(handle)})

    def _attached(self, handle: str) -> list[dict]:
        """A quarter of the posts carry a photo, a few of them a video's
        still too: files the emulator makes (connectors/emulator/media.py)."""
        if self.rng.random() >= 0.25:
            return []
        photo = {"type": "photo", "file": f"{handle}-{self.sent}.png", "alt_text": f"A photo from {handle}",
                 "width": 96, "height": 64}
        return [photo, {"type": "video", "preview": f"{handle}-clip.png"}] if self.rng.random() < 0.3 else [photo]

    def _facebook(self, handle, name, followers, text):
        kind = self.rng.choice(("post", "comment", "review"))
        body = {"kind": kind, "author": {"name": name}, "text": text}
        if kind == "comment":
            body["in_reply_to"] = self._page_post()
        if kind == "review":
            body["rating"] = 5 if text in PRAISE or text in QUESTIONS else 1
        self._control("facebook", body)

    def _instagram(self, handle, name, followers, text):
        if self.rng.random() < 0.3:
            self._control("instagram", {"kind": "mention", "author": {"username": handle}, "text": f"@acme {text}",
                                        "media_url": self._photo(handle)})
        else:
            self._control("instagram", {"author": {"username": handle}, "text": text,
                                        "in_reply_to": self._brand_photo()})

    def seed_meta(self) -> None:
        """What the demo starts with on Instagram and Messenger: a comment
        under the brand's photo, a customer's photo that tags the brand, a
        direct message with a photo, and two Messenger conversations, one
        inside the 24-hour window and one that ended two days ago (its
        answer is refused)."""
        self._control("instagram", {"author": {"username": "lena_travels"}, "in_reply_to": self._brand_photo(),
                                    "text": "The lid of mine cracked after a week. Is that covered?"})
        self._control("instagram", {"kind": "mention", "author": {"username": "tom_builds"},
                                    "text": "@acme the AcmeBox arrived dented, see the corner",
                                    "media_url": self._photo("dented-box")})
        self._control("instagram", {"author": {"username": "noor_a"}, "text": "Hi! My order never arrived",
                                    "attachments": [{"type": "image", "url": self._photo("empty-porch")}]},
                      what="messages")
        self._control("facebook", {"author": {"name": "Sofia Marquez"},
                                   "text": "Hello, can I change the address on my order?"}, what="messages")
        self._control("facebook", {"author": {"name": "Dave R."}, "text": "Is anyone there? Still no refund.",
                                   "created_time": int(time.time()) - 2 * 24 * 3600}, what="messages")

    def seed_moderation(self) -> None:
        """Comments under the brand's page post for moderation: an abusive
        one an agent can hide (and unhide) from its ticket, and spam the
        rule hides by itself (listed on /admin/moderation)."""
        page_post = self._page_post()
        self._control("facebook", {"kind": "comment", "author": {"name": "Rex Angry"}, "in_reply_to": page_post,
                                   "text": "You are all thieves and idiots. Worst company ever, total scam!!"})
        self._control("facebook", {"kind": "comment", "author": {"name": "Promo Bot"}, "in_reply_to": page_post,
                                   "text": "f4f follow4follow, check my page for free followers"})

    def _brand_photo(self) -> str:
        """The brand's own Instagram photo that comments go under."""
        if self.brand_photo is None:
            self.brand_photo = self._control("instagram", {
                "kind": "media", "text": "Winter sale: 20% off every AcmeBox!", "media_url": self._photo("acme-sale")})
        return self.brand_photo

    def _photo(self, stem: str) -> str:
        return f"{self.url}/_emulator/media/{stem}.png"

    def _reddit(self, handle, name, followers, text):
        kind = self.rng.choice(("mention", "post", "comment"))
        body = {"kind": kind, "author": {"name": handle}, "text": text, "subreddit": "acme"}
        if kind == "post":
            body["title"] = text.split(".")[0][:80]
        self._control("reddit", body)

    def _reviews(self, handle, name, followers, text):
        rating = 5 if text in PRAISE else 4 if text in QUESTIONS else self.rng.choice((1, 2, 3))
        self._control("reviews", {"author": {"name": name}, "rating": rating, "text": text,
                                  "media": self._attached(handle)[:1]})

    def _page_post(self) -> str:
        """The brand's own page post that Facebook comments go under."""
        if self.page_post is None:
            from connectors.facebook.emulator import PAGE_ID

            self.page_post = self._control("facebook", {
                "kind": "post", "author": {"name": "Acme", "id": PAGE_ID},
                "text": "Our winter sale starts today: 20% off every AcmeBox!"})
        return self.page_post

    def _control(self, platform: str, body: dict, what: str = "posts") -> str | None:
        try:
            response = requests.post(f"{self.url}/_emulator/{platform}/{what}", json=body, timeout=5)
            response.raise_for_status()
            return response.json()["id"]
        except requests.RequestException as error:
            log.warning("demo post not delivered to the %s emulator: %s", platform, error)
            return None


def feed_posts(emulator_url: str, every: float, spike_after: float, stop: threading.Event) -> None:
    """Post demo customer posts at random intervals: the first handful
    quickly, so the inbox fills within a minute; after `spike_after`
    seconds (when above 0), one burst of complaints about one problem."""
    feeder = DemoFeeder(emulator_url)
    feeder.seed_meta()
    feeder.seed_moderation()
    rng = random.Random()
    spike_at = time.monotonic() + spike_after if spike_after > 0 else None
    while not stop.is_set():
        if spike_at is not None and time.monotonic() >= spike_at:
            feeder.burst(SPIKE_SIZE)
            spike_at = None
        feeder.post_one()
        stop.wait(1.0 if feeder.sent < 8 else rng.uniform(0.5, 1.5) * every)
