"""Rules for the language of customer care that lexicons miss: a customer
"still waiting", "on hold for 2 hours", asking "where is my refund", a
service that failed "again" or "for the second time", help that "never
arrived" or has "not yet" come, a state that has lasted days ("has said
'soon' for a week", "stuck on processing since Monday"), sarcasm ("thanks
for nothing", "great, another delay"), a list of woes ("no wifi, no
food"), emoji, plain requests for help, and the everyday traffic of care:
asking the brand to follow back or check its direct messages, an order
number, a screenshot.

Each rule that fires says what it saw, how far it moves the polarity and
how much urgency it adds. The wording is general on purpose: no brand's or
industry's vocabulary belongs here.

Patterns run on lower-cased text and start without `\\b`: a leading
assertion stops Python's regex engine from skipping ahead to the first
letter, and makes every rule several times slower. Where a match starts is
checked instead (`_starts_a_word`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_COUNT = r"(?:\d+\s*\+|\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|many|multiple)"
_SPAN = r"(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?|wks?|months?)\b"
_ABOUT = r"(?:over\s+|almost\s+|nearly\s+|more\s+than\s+|about\s+)?"


@dataclass(frozen=True)
class RuleHit:
    name: str
    shift: float = 0.0
    urgency: float = 0.0
    complaint: bool = False
    request: bool = False
    flips: bool = False
    details: bool = False
    praises: bool = False

    @property
    def reason(self) -> str:
        return f"rule:{self.name}"

    @property
    def care(self) -> bool:
        """Care traffic (a complaint, a request, an order number or a
        screenshot): its links and hashtags do not make it spam."""
        return (self.complaint and self.shift < 0) or self.request or self.details


@dataclass(frozen=True)
class _Rule:
    label: str
    pattern: re.Pattern
    shift: float
    urgency: float
    triggers: tuple[str, ...]
    complaint: bool = True
    request: bool = False
    flips: bool = False
    details: bool = False
    praises: bool = False

    def hit(self, match: re.Match) -> RuleHit:
        said = " ".join(match.group(0).split())
        return RuleHit(self.label.format(said=said), self.shift, self.urgency, self.complaint, self.request,
                       self.flips, self.details, self.praises)


def _rule(label: str, pattern: str, shift: float, urgency: float = 0.0, *, triggers: tuple[str, ...],
          complaint: bool = True, request: bool = False, flips: bool = False, details: bool = False,
          praises: bool = False) -> _Rule:
    """A rule; its pattern is tried only on text holding one of its
    triggers, which keeps the rules cheap on the many posts without any.
    `flips`: sarcasm, which turns a reading of praise into a complaint;
    `praises`: an idiom of praise, which turns a negative reading into
    praise where no rule finds a complaint."""
    return _Rule(label, re.compile(pattern), shift, urgency, triggers, complaint, request, flips, details, praises)


# In order: a match overlapping an earlier rule's is not counted again.
RULES: tuple[_Rule, ...] = (
    _rule("{said}", rf"on\s+hold\s+(?:for\s+)?{_ABOUT}{_COUNT}\s*{_SPAN}|{_COUNT}\s*{_SPAN}\s+on\s+hold\b",
          -0.3, 0.05, triggers=("hold",)),
    _rule("on hold", r"(?:on|put\s+me\s+on|placed\s+on)\s+hold\b", -0.2, triggers=("hold",)),
    _rule("{said}", rf"(?:been\s+waiting|waited|waiting)\s+(?:for\s+)?{_ABOUT}{_COUNT}\s*{_SPAN}", -0.3, 0.05,
          triggers=("wait",)),
    _rule("still waiting", r"still\s+(?:waiting|waitin|no\b|nothing|"
          r"(?:have|has|had|do|does|did|is|are|was|were|ca|can|wo)(?:n't|\s+not)|cannot|not\b|stuck|"
          r"on\s+hold|unresolved|broken|missing|down\b|delayed|late\b|wrong|pending|the\s+same\s+(?:problem|issue)|"
          r"being\s+charged|charging\s+me|getting\s+charged|sitting|stranded|nowhere|no\s+sign)", -0.3, 0.05,
          triggers=("still",)),
    _rule("{said}", rf"(?:(?:has|have|had|'s|'ve)\s+(?:said|shown|showed|read)|(?:has|have|had|'s|'ve)\s+been"
          rf"(?=\s+['\"‘“])|(?:been\s+)?(?:saying|showing)|"
          rf"(?:been\s+)?(?:stuck|pending|frozen)|hasn't\s+(?:changed|moved|updated)|"
          rf"(?:has\s+|have\s+)?not\s+(?:changed|moved|updated)|(?:been|is|are|was|were|'s)\s+(?:down|offline)(?!\s+for\s+(?:planned\s+)?maintenance))\b"
          rf"[^.!?\n]{{0,40}}?\s"
          rf"(?:for\s+{_ABOUT}(?:{_COUNT}\s*{_SPAN}|(?:days|weeks|months|ages)\b)|"
          rf"since\s+(?:mon|tues|wednes|thurs|fri|satur|sun|yester)day\b|since\s+last\s+(?:week|month|night)\b)",
          -0.3, 0.05, triggers=("said", "saying", "shown", "showed", "showing", "stuck", "pending", "frozen",
                                "changed", "moved", "updated", "down", "offline", "been '", "been \"", "been ‘",
                                "been “")),
    _rule("{said}", r"where(?:'s|\s+is|\s+are|\s+the\s+hell\s+is)\s+(?:my|our)\s+\w+", -0.3, 0.05,
          triggers=("where",)),
    _rule("{said}", r"(?:arrived|arrives|came|comes|delivered|turned\s+up|showed\s+up)\s+(?:\w+\s+)?(?:broken|"
          r"damaged|cracked|smashed|crushed|dented|torn|ripped|soaked|wet|opened|empty|faulty|defective|leaking|used|"
          r"dead|incomplete|late)\b|(?:is|are|was|were|running|still|been)\s+(?:so\s+|very\s+|really\s+)?late\b",
          -0.3, triggers=("arrive", " came", " come", "delivered", "turned up", "showed up", "late")),
    _rule("{said}", r"(?:cancel(?:s|l?ed|l?ing)?|delay(?:s|ed)|late|broken|broke|breaks|breaking|down|"
          r"crash(?:es|ed|ing)?|los(?:es|ing|t)|charged|overcharged|fail(?:s|ed|ing)?|missed|wrong|damaged|smashed|"
          r"missing|stuck|declined|locked\s+out|offline|freez(?:es|ing)|froze|frozen|drop(?:s|ped|ping)|"
          r"disconnect(?:s|ed|ing)|died|dies|dying|stop(?:s|ped)\s+working|(?:log|kick|throw)(?:s|ed|ing)?\s+"
          r"(?:me|us)\s+out|happen(?:s|ed|ing)?|not|same\s+(?:thing|problem|issue|story|mistake))\s+again\b|"
          r"(?:yet|once)\s+again\b|again\s*[?!]{2,}|"
          r"for\s+the\s+(?:second|third|fourth|fifth|\d+(?:nd|rd|th))\s+time\b|"
          r"(?:this\s+is|that's|thats|it's|its|this\s+was|that\s+was|now)\s+(?:the|my|our)\s+"
          r"(?:second|third|fourth|fifth|\d+(?:nd|rd|th))\s+time\b|"
          r"(?:second|third|fourth|fifth|\d+(?:nd|rd|th))\s+time\s+(?:this|in\s+a|in\s+\d+|now|already|running)\b",
          -0.3, 0.05, triggers=("again", "time")),
    _rule("{said}", r"(?:(?:log|kick|sign|throw)(?:s|ed|ing)?\s+(?:me|us)\s+out|crash(?:es|ed|ing)?|"
          r"freez(?:es|ing)|froze|drop(?:s|ped|ping)|disconnect(?:s|ed|ing)?|cut(?:s|ting)?\s+out|"
          r"fail(?:s|ed|ing)|(?:go(?:es)?|went)\s+down(?!\s+(?:to|the|a|an|into|there|here|for)\b)|lag(?:s|ged|ging)|buffer(?:s|ed|ing)|"
          r"restart(?:s|ed|ing)|reboot(?:s|ed|ing)|stop(?:s|ped)\s+working|time(?:s|d)\s+out)\b"
          r"(?:\s+[\w']+){0,4}?\s+(?:every\s+(?:single\s+)?(?:time|day|night|morning|evening|hour|week|other\s+day|"
          r"(?:few|couple\s+of|\d+|two|three|four|five|ten|fifteen|twenty|thirty)\s+(?:seconds|secs|minutes|mins|"
          r"hours|hrs|days))|all\s+the\s+time|constantly|non\s*-?\s*stop)\b|"
          r"(?:always|constantly)\s+(?:crash|freez|drop|disconnect|lag|buffer|log(?:s|ging)\s+me\s+out|"
          r"kick(?:s|ing)\s+me\s+out)\w*", -0.3, 0.05,
          triggers=("every ", "the time", "constantly", "non", "always")),
    _rule("{said}", r"(?:site|website|app|service|internet|wifi|wi-fi|broadband|network|servers?|system|portal|"
          r"signal|connection|login|checkout)\s+(?:is\s+|are\s+|was\s+|were\s+|went\s+|goes\s+|"
          r"(?:has|have)\s+been\s+|been\s+|still\s+)?(?:completely\s+|totally\s+|still\s+)?(?:down|offline)\b"
          r"(?!\s+(?:the|a|an|to|from|by|for\s+(?:planned\s+|scheduled\s+)?maintenance|in\s+price)\b)",
          -0.3, 0.05, triggers=("down", "offline")),
    _rule("{said}", r"still\s+(?:having|getting|seeing|experiencing|facing)\s+(?:[\w']+\s+){0,2}?(?:issues?|"
          r"problems?|errors?|trouble)\b|(?:issue|problem|error|fault)s?\s+(?:persists?|persisting|"
          r"continues?|continuing|is\s+back|are\s+back)\b", -0.3, 0.05,
          triggers=("still ", "persist", "continu", "is back", "are back")),
    _rule("{said}", r"(?:are|is)\s+(?:you|u|y'all|yall|anyone|anybody|someone|everyone)\s+(?:else\s+)?"
          r"(?:having|experiencing|seeing|getting)\s+(?:any\s+|an?\s+|some\s+|the\s+same\s+)?(?:issues?|problems?|"
          r"trouble|outages?|errors?|difficult\w*)\b|(?:anyone|anybody|someone|everyone)\s+else\s+(?:having|getting|"
          r"experiencing|seeing)\s+(?:any\s+|an?\s+|some\s+|the\s+same\s+)?(?:issues?|problems?|trouble|outages?|"
          r"errors?)\b", -0.3, triggers=("having", "experienc", "getting", "seeing")),
    _rule("{said}", r"(?:is|are|what)\s+(?:a|an|such\s+a|a\s+complete|a\s+total|an\s+absolute)\s+(?:joke|shambles|"
          r"disgrace|nightmare)\b|#(?:epic)?fail\b", -0.3,
          triggers=("joke", "shambles", "disgrace", "nightmare", "#fail", "#epicfail")),
    _rule("{said}", r"(?:could|should)\s+(?:have\s+been|be)\s+(?:a\s+lot\s+|much\s+|far\s+)?(?:more\s+(?:helpful|"
          r"organi[sz]ed|careful|professional|transparent|upfront|honest|clear|polite|reliable)|better)\b|"
          r"should\s+know\s+better\b|(?:needs?|need\s+to)\s+(?:some\s+|serious\s+|a\s+lot\s+of\s+)?"
          r"(?:improvement|improving|to\s+improve)\b", -0.3,
          triggers=("could", "should", "improv")),
    _rule("{said}", r"(?:lack|absence)\s+of\s+(?:any\s+)?(?:communication|information|info|updates?|response|"
          r"replies|help|support|service|notice|care|respect|staff|transparency|clarity|options)\b|"
          r"(?:so|too|very|really|painfully|ridiculously|super|extremely|incredibly)\s+slo+w\b", -0.3,
          triggers=("lack", "absence", "slo")),
    _rule("{said}", r"(?:got|received|sent|gave|given|delivered|brought)\s+(?:me\s+|us\s+)?(?:the\s+|a\s+|an\s+)?"
          r"wrong\s+\w+|(?:got|received|sent|gave|given|delivered|brought)\s+(?:me\s+|us\s+)?someone\s+else'?s\s+"
          r"(?:order|parcel|package|food|meal|bag|luggage|delivery|item|items|stuff|shopping|prescription)\b", -0.3,
          triggers=("wrong", "someone else")),
    _rule("{said}", r"(?:when|while|though|yet|considering)\s+(?:i|we)(?:'m|\s+am|'re|\s+are)?\s+(?:still\s+)?"
          r"pay(?:ing)?\s+(?:you\s+)?(?:for\b|£|\$|€)", -0.3, triggers=("pay",)),
    _rule("{said}", r"(?:fell|falling|falls|fallen|came|coming|comes)\s+apart\b(?!\s+(?:for|to)\b)|"
          r"(?:broke|broken|stopped\s+working|died|ripped|tore|split|snapped|cracked|faded|shrunk|shrank|peeled|"
          r"peeling)\s+after\s+(?:only\s+|just\s+)?"
          r"(?:one|two|three|a\s+few|a\s+couple\s+of|\d+|a|an)\s+(?:wash|washes|wear|wears|use|uses|day|days|"
          r"week|weeks|month|months|go|goes|time|times)\b", -0.3, triggers=("apart", "after")),
    _rule("{said}", r"(?:unplayable|unusable|unwatchable|unlistenable|inedible|undrinkable|uninhabitable|"
          r"unliveable|unlivable|unbearable)\b", -0.3,
          triggers=("unplayable", "unusable", "unwatchable", "unlistenable", "inedible", "undrinkable",
                    "uninhabitable", "unliveable", "unlivable", "unbearable")),
    _rule("{said}", r"(?:asked|called|emailed|written|wrote|contacted|messaged|complained|tried|chased)\s+"
          r"(?:you\s+|u\s+)?(?:twice|three\s+times|four\s+times|\d+\s+times|(?:several|multiple|many|so\s+many)\s+"
          r"times)\b",
          -0.3, 0.05, triggers=("twice", "times")),
    _rule("sarcasm \"{said}\"", r"(?:thanks?\s+(?:you\s+)?for\s+nothing|yeah\s+right|#sarcasm|#not|"
          r"just\s+what\s+i\s+needed|way\s+to\s+go|oh\s+(?:great|good|wonderful|joy|perfect|fantastic|brilliant|"
          r"lovely)|(?:thanks|thank\s+you)\s+(?:for|4)\s+(?:ruining|losing|wasting|ignoring|leaving|cancel\w*|"
          r"making\s+me\s+wait|the\s+(?:delay|wait|runaround)|(?:the|a|yet\s+another)\s+(?:second|third|fourth|"
          r"fifth|\d+(?:nd|rd|th)|extra\s+(?:hour|day|fee|charge)|hidden\s+fee|useless|automated|canned)))\b|"
          r"thanks?\s+a\s+(?:lot|bunch|million)\s*(?:\.\.\.|…)|"
          r"so\s+much\s+for\b(?<!thanks\sso\smuch\sfor)(?<!thank\syou\sso\smuch\sfor)", -0.2,
          triggers=("thank", "yeah", "#sarcasm", "#not", "so much for", "just what", "oh ", "way to go"), flips=True),
    _rule("sarcasm \"{said}\"", r"(?:good|nice)\s+try\b", -0.2, triggers=("try",), flips=True),
    _rule("sarcasm \"{said}\"", r"if\s+(?:you|u)\s+(?:enjoy|like|love|fancy|don't\s+mind)(?=\s+(?:\w+\s+)?(?:cold|"
          r"broken|dirty|filthy|waiting|queu\w*|rude|being\s+(?:ignored|lied|overcharged|charged|kept|stuck|left|"
          r"on\s+hold)|paying\s+(?:twice|extra|more)|losing|lost|missing|delays?|delayed|cancel\w*|stuck|hold)\b)",
          -0.2, triggers=("if you", "if u"), flips=True),
    _rule("sarcasm \"{said}\" with an eye-roll", r"(?:thanks?|thank\s+(?:you|u)|cheers|great|helpful|brilliant|"
          r"lovely|wonderful|perfect|love|loving|nice|awesome|fantastic|amazing|excellent|impressive)\b"
          r"(?=[^🙄😒.!?\n]{0,60}?[.!?…\s]*[🙄😒])", -0.2, triggers=("🙄", "😒"), flips=True),
    _rule("sarcasm \"{said}\"", r"(?:great|perfect|wonderful|fantastic|brilliant|awesome|lovely|nice|excellent|"
          r"super)\s*[,.!…]+\s*(?:just\s+|yet\s+)?(?:another|more)\s+(?:delay|cancel\w*|outage|problem|issue|error|"
          r"crash|bug|glitch|fee|charge|price\s+(?:rise|increase|hike)|hour|day|week|excuse|automated|email|form|bot|"
          r"wait)\w*", -0.2, triggers=("another", "more"), flips=True),
    _rule("{said}", r"would(?:'ve|\s+have|a|\s+of)\s+been\s+nice|would\s+be\s+nice\s+if|"
          r"(?:you|u|y'all|yall)\s+(?:can|could|should|need\s+to|must)\s+do\s+better", -0.3,
          triggers=("nice", "better"), flips=True),
    _rule("negation \"{said}\"", r"(?:no\s*one|nobody|noone)\s+(?:is\s+|has\s+|will\s+|ever\s+)?"
          r"(?:answer|respond|repl|help|pick|call|got\s+back|gets\s+back|get\s+back|care|know|bother)\w*", -0.35,
          triggers=("nobody", "noone", "no one")),
    _rule("woes \"{said}\"", r"no\s+(?!worries|problem|complaints|issues?\b)\w+(?:\s+\w+)?\s*(?:,|&|\+|and\b|\.)"
          r"\s*(?:and\s+)?no\s+(?!worries|problem|complaints|issues?\b)\w+", -0.3, triggers=("no ",)),
    _rule("negation \"{said}\"", r"no\s+(?:response|reply|replies|answer|update|updates|help|refund|"
          r"explanation|communication|compensation|apology|resolution|one\s+to\s+help|way\s+to\s+reach)\b",
          -0.3, triggers=("no ",)),
    _rule("negation \"{said}\"", r"(?:never|hasn't|haven't|hadn't|didn't|has\s+not|have\s+not|did\s+not|"
          r"still\s+not|not\s+yet)\s+(?:been\s+|even\s+)?(?:arrived?|received?|come|came|got|gotten|heard|"
          r"delivered|refunded|shipped|showed\s+up|turned\s+up|responded|replied|answered|fixed|resolved|"
          r"credited|reimbursed|contacted)\b", -0.35, triggers=("never", "n't", "not")),
    _rule("negation \"{said}\"", r"not\s+yet(?=\s*(?:[.!?,;…]|$))|(?:hasn't|haven't|isn't|aren't|has\s+not|"
          r"have\s+not|is\s+not)\s+(?:\w+\s+){0,2}?yet\b", -0.3, triggers=("yet",)),
    _rule("negation \"{said}\"", r"(?:is|are|was|were|still|it's|its)\s+not\s+(?:working|received|happy|"
          r"impressed|acceptable|good\s+enough|ok|okay|fixed|resolved|refunded|delivered|helpful|right)\b|"
          r"(?:not|never)\s+(?:happy|impressed|acceptable|good\s+enough|helpful|working|ideal|great|good|fair|"
          r"pleased|satisfied|amused|cool)\b|"
          r"unacceptable\b", -0.3, triggers=("not", "never", "unacceptable")),
    _rule("negation \"{said}\"", r"(?:doesn't|does\s+not|don't|do\s+not|won't|will\s+not|can't|cannot|"
          r"couldn't|could\s+not|unable\s+to|wouldn't)\s+(?:even\s+)?(?:work|load|open|connect|log\s*(?:in|on)|"
          r"sign\s*in|get\s+through|reach|access|pay|book|check\s*in|find|track|cancel|get\s+a\s+refund|"
          r"get\s+hold|get\s+an?\s+answer|speak\s+to|talk\s+to|start|boot|turn\s+on|switch\s+on|update|"
          r"download|install|upload|stream|sync|print|scan|redeem|activate|verify|reset|transfer|withdraw|"
          r"top\s+up|send|receive|save)\b|"
          r"keeps?\s+(?:on\s+)?(?:freezing|dropping|disconnecting|restarting|rebooting|failing|cutting\s+out|"
          r"buffering|logging\s+me\s+out|kicking\s+me\s+out|signing\s+me\s+out|timing\s+out|pausing|"
          r"declining|crashing|glitching|lagging)\b", -0.3,
          triggers=("n't", "not", "cannot", "unable", "keep")),
    _rule("praise \"{said}\"", r"(?:can't|cannot|can\s+not|couldn't|could\s+not)\s+believe\s+how\s+"
          r"(?:so\s+|really\s+|very\s+)?(?:good|great|easy|quick|quickly|fast|smooth|smoothly|helpful|friendly|nice|"
          r"lovely|cheap|comfortable|comfy|well|amazing|simple|clean|tasty|delicious|beautiful|soft|efficient|"
          r"painless|professional|kind|polite|responsive)\b|"
          r"not\s+(?:a\s+)?(?:single|one)\s+(?:problem|issue|complaint|fault|hiccup|glitch)\b|"
          r"no\s+(?:issues|problems|hiccups|glitches)\s+(?:at\s+all|whatsoever)\b|"
          r"(?:didn't|did\s+not|never)\s+expect(?:ed)?\s+(?:such\s+(?:a\s+)?|so\s+|this\s+|that\s+)?(?:quick|"
          r"fast|good|great|helpful|friendly|kind|speedy|prompt|swift|generous|lovely)\b|"
          r"to\s+die\s+for\b|no\s+regrets\b", 0.3,
          triggers=("believe", "single", "not one", "no issues", "no problems", "no hiccups", "no glitches",
                    "expect", "die for", "no regrets"),
          complaint=False, praises=True),
    _rule("negation \"{said}\"", r"(?:can't|cannot)\s+wait\b|no\s+(?:problem|worries|complaints)\b|"
          r"not\s+(?:bad|too\s+bad|disappointed)\b|couldn't\s+be\s+(?:happier|better)\b|"
          r"(?:can't|cannot|couldn't|could\s+not)\s+(?:have\s+)?ask(?:ed)?\s+for\s+(?:more|better|anything\s+more)\b|"
          r"(?:can't|cannot|couldn't)\s+get\s+any\s+better\b|"
          r"never\s+(?:disappoint|let\s+me\s+down|fail\w*\s+to\s+impress)\w*|"
          r"(?:never|not\s+once)\s+had\s+(?:a|an|any|one)\s+(?:single\s+)?(?:problem|issue|complaint|fault)s?\b", 0.3,
          triggers=("wait", "no ", "not", "couldn't", "can't", "cannot", "never"), complaint=False),
    _rule("praise \"{said}\"", r"(?:didn't|did\s+not|doesn't|does\s+not|won't|never)\s+disappoint\w*|"
          r"continues?\s+to\s+(?:impress|amaze|delight)|above\s+and\s+beyond\b|"
          r"saved\s+(?:the|my|our)\s+(?:day|trip|holiday|weekend|evening|bacon)\b|"
          r"#?kudos\b", 0.3, triggers=("disappoint", "continue", "above and beyond", "saved", "kudos"),
          complaint=False),
    _rule("asks for help", r"(?:please|pls|plz)\s+(?:help|advise|assist|fix|respond|reply|look\s+into|check|"
          r"dm|contact|call|sort|get\s+back)\b|help\s+(?:me|us)\b|help\s*!|need\s+(?:help|assistance|"
          r"support|an?\s+answer|someone)\b|can\s+(?:some|any)one\s+(?:help|tell|explain|look)\b|"
          r"(?:dm|message|contact|call|email)\s+me\b|any\s+(?:update|news)\b|urgent(?:ly)?\b|asap\b|"
          r"as\s+soon\s+as\s+possible\b|kindly\s+(?:help|advise|assist|fix|respond|reply|look\s+into|check|"
          r"resolve|sort|confirm|revert|refund|call|contact|dm)\b|tell\s+me\s+(?:how|why|what|when|where)\b|"
          r"(?:could|can|would)\s+(?:you|u)\s+(?:please\s+|pls\s+|kindly\s+)?(?:help|check|look\s+into|fix|"
          r"sort|advise|confirm|explain|refund|resolve)\b",
          0.0, triggers=("help", "please", "pls", "plz", "need", "someone", "anyone", " me", "any ", "urgent",
                         "asap", "possible", "kindly", "you", " u "), complaint=False, request=True),
    _rule("direct message \"{said}\"", r"follow\s+(?:me\s+|us\s+)?back\b|follow\s+me\s+so\b|"
          r"(?:check|see|read|look\s+at)\s+(?:your|ur|yr|the)\s+(?:dms?|pms?|inbox|messages|direct\s+messages?)\b|"
          r"(?:sent|send|sending|dropped)\s+(?:you|u)\s+(?:a\s+)?(?:dm|pm|message|direct\s+message)\b|"
          r"(?:dm'?e?d|pm'?e?d|messaged)\s+(?:you|u)\b|(?:can|could|may|shall)\s+i\s+(?:dm|pm|message)\b",
          0.0, triggers=("follow", "dm", "pm", "inbox", "message"), complaint=False, request=True),
    _rule("details \"{said}\"", r"(?:order|booking|case|ticket|ref(?:erence)?|tracking)(?:\s*(?:number|no\.?|num|nr|"
          r"id|code|ref(?:erence)?))?(?:\s+is)?\s*[:#]?\s*(?=[a-z-]*\d)[a-z0-9-]{4,}\b", 0.0,
          triggers=("order", "booking", "case", "ticket", "ref", "tracking"), complaint=False, details=True),
    _rule("details \"{said}\"", r"screen\s*(?:shot|grab|cap)s?\b|see\s+(?:the\s+)?(?:attached|photo|pic|picture|"
          r"image|video)\b", 0.0, triggers=("screen", "see "), complaint=False, details=True),
)

# Sarcasm that needs a complaint beside it: "love how you lost my bag";
# and praise that opens a sentence on its own, "brilliant, the app crashed
# again" (but for "great, thanks": courtesy, not sarcasm).
_OPENING_SARCASM = re.compile(r"(?:^|[.!?\n])\s*(?:[@#]\w+\s+)*(?P<said>(?:oh\s+)?(?:great|perfect|wonderful|"
                              r"fantastic|brilliant|awesome|lovely|nice|excellent|super|cool|amazing|terrific|"
                              r"splendid|marvell?ous)(?:\s+(?:job|work|stuff|one))?"
                              r"(?:[\s,]+(?:cool|great|nice|perfect))*\s*[,!…]+)(?!\s*(?:thanks|thank|cheers|ty)\b)")
_WEAK_SARCASM = re.compile(r"(?:love|loving|enjoy|enjoying|gotta\s+love|got\s+to\s+love|nothing\s+like)\s+"
                           r"(?:how|that|it\s+when|when|being|waiting|sitting|spending|getting|paying|having\s+to|"
                           r"standing|queu(?:e)?ing)\b|(?:great|awesome|nice|perfect|"
                           r"wonderful|brilliant|fantastic|excellent|amazing)\s+(?:job|work|service)?\s*"
                           r"(?:\.\.\.|…|!{2,}|🙄|😒)|thanks?\s+a\s+(?:lot|bunch|million)\b|"
                           r"(?:great|nice|wonderful|brilliant|fantastic)\s+(?:that|how)\b|"
                           r"so\s+(?:glad|happy|pleased)\s+(?:that\s+|how\s+)?(?=[^.!?\n]{0,60}?"
                           r"(?:every\s+(?:single\s+)?time|again|always|all\s+the\s+time)\b)|"
                           r"(?:thanks?|thank\s+(?:you|u))\s+(?:for|4)\s+(?=[^.!?\n]{0,60}?\bagain\b)")
NEGATIVE_EMOJI = frozenset("😡😠🤬😤🙄😒👎💔😢😭😞😩😫🤦😣😖😓😔☹🙁😕😑😰😱🤢🤮")
POSITIVE_EMOJI = frozenset("😍🥰😊🙂😀😁😃😄😆❤💙💚💜🧡💛💕👍🙌🎉👏✨😎🤩😘💯🥳☺")
_NEGATIVE_EMOJI = re.compile("[" + "".join(sorted(NEGATIVE_EMOJI)) + "]")
_POSITIVE_EMOJI = re.compile("[" + "".join(sorted(POSITIVE_EMOJI)) + "]")
EMOJI_SHIFT = 0.15
MAX_EMOJI_SHIFT = 0.3


def rule_hits(text: str) -> list[RuleHit]:
    """What the care rules see in the text. Rules are tried in order, and a
    match overlapping one already taken is not counted again ("still no
    refund" is one rule's hit, not two)."""
    lowered = text.lower().replace("’", "'")
    hits, taken = [], []
    for rule in RULES:
        for trigger in rule.triggers:
            if trigger in lowered:
                break
        else:
            continue
        for match in rule.pattern.finditer(lowered):
            start, end = match.span()
            if _starts_a_word(lowered, start) and not any(start < e and s < end for s, e in taken):
                taken.append((start, end))
                hits.append(rule.hit(match))
                break
    if any(h.complaint for h in hits) and not any(h.flips for h in hits):
        said = _weak_sarcasm(lowered)
        if said:
            hits.append(RuleHit(f"sarcasm \"{said}\"", -0.2, complaint=True, flips=True))
    if not text.isascii():
        hits.extend(_emoji_hits(text))
    return hits


def _weak_sarcasm(lowered: str) -> str | None:
    """The words of sarcasm found beside a complaint, if any."""
    for match in _WEAK_SARCASM.finditer(lowered):
        if _starts_a_word(lowered, match.start()):
            return " ".join(match.group(0).split())
    opening = _OPENING_SARCASM.search(lowered)
    if opening:
        return " ".join(opening.group("said").split())
    return None


def _starts_a_word(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


def _emoji_hits(text: str) -> list[RuleHit]:
    negative = list(dict.fromkeys(_NEGATIVE_EMOJI.findall(text)))
    positive = list(dict.fromkeys(_POSITIVE_EMOJI.findall(text)))
    hits = []
    if negative:
        shift = -min(MAX_EMOJI_SHIFT, EMOJI_SHIFT * len(negative))
        hits.append(RuleHit("emoji " + "".join(negative[:3]), shift))
    if positive:
        shift = min(MAX_EMOJI_SHIFT, EMOJI_SHIFT * len(positive))
        hits.append(RuleHit("emoji " + "".join(positive[:3]), shift))
    return hits
