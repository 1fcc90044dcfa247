"""Demo data: customers writing in English, Hindi, Bengali, Greek and French on several
channels, with organizations, orders and agent replies. Inbound messages go through the
real pipeline, so the demo exercises identity resolution, threading and detection.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from sahayak.accounts.models import Role, Team, User
from sahayak.accounts.services import create_api_token
from sahayak.contacts.models import Organization
from sahayak.contacts.services import OrderData, upsert_order
from sahayak.conversations import channels
from sahayak.conversations.inbound import InboundMessage
from sahayak.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Event,
    Inbox,
    Message,
    Status,
)
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import assign, set_status, set_tags

DEMO_PASSWORD = "sahayak-demo"  # noqa: S105 - printed to the operator; demo installs only

NAMES = {
    "en": [
        "Olivia Bennett",
        "James Carter",
        "Amelia Hughes",
        "Noah Patel",
        "Grace Turner",
        "Liam O'Brien",
        "Chloe Edwards",
        "Ethan Brooks",
        "Sophie Walker",
        "Jack Morgan",
        "Emily Foster",
        "Harry Collins",
    ],
    "hi": [
        "अनन्या शर्मा",
        "राहुल वर्मा",
        "प्रिया सिंह",
        "अमित कुमार",
        "नेहा गुप्ता",
        "विकास यादव",
        "पूजा मिश्रा",
        "संजय पटेल",
        "कविता जोशी",
        "अर्जुन मेहता",
        "दीपिका राव",
        "रोहन तिवारी",
    ],
    "bn": [
        "সৌমিত্র চট্টোপাধ্যায়",
        "অর্পিতা বসু",
        "রাজীব সেন",
        "মৌমিতা দাস",
        "সুদীপ্ত ঘোষ",
        "তনুশ্রী মুখার্জি",
        "অভিজিৎ রায়",
        "শ্রেয়া ব্যানার্জি",
        "দেবাশীষ পাল",
        "রিয়া সাহা",
        "অনির্বাণ দত্ত",
        "পৃথা মজুমদার",
    ],
    "el": [
        "Γιώργος Παπαδόπουλος",
        "Μαρία Κωνσταντίνου",
        "Νίκος Αντωνίου",
        "Ελένη Γεωργίου",
        "Δημήτρης Νικολάου",
        "Κατερίνα Ιωάννου",
        "Κώστας Δημητρίου",
        "Σοφία Παππά",
        "Αλέξανδρος Βασιλείου",
        "Άννα Χριστοδούλου",
        "Παναγιώτης Μακρής",
        "Δέσποινα Λαμπράκη",
    ],
    "fr": [
        "Camille Dubois",
        "Lucas Martin",
        "Léa Bernard",
        "Hugo Lefèvre",
        "Chloé Moreau",
        "Louis Girard",
        "Manon Roux",
        "Théo Fournier",
        "Inès Lambert",
        "Gabriel Mercier",
        "Zoé Rousseau",
        "Arthur Faure",
    ],
}

MESSAGES = {
    "en": [
        (
            "Where is my order?",
            "Hi, my order {order} was due yesterday and has not arrived. "
            "Could you tell me where it is?",
        ),
        (
            "Refund request",
            "I returned the headphones two weeks ago and I still have not "
            "received my refund for order {order}.",
        ),
        (
            "Cannot log in",
            "I reset my password twice but the app still says my account is locked. Please help.",
        ),
        (
            "Wrong size delivered",
            "I ordered a medium jacket but received a large one. How do I exchange it?",
        ),
    ],
    "hi": [
        (
            "मेरा ऑर्डर कहाँ है?",
            "नमस्ते, मेरा ऑर्डर {order} कल आना था लेकिन अभी तक नहीं आया। कृपया बताइए कि यह कहाँ है।",
        ),
        (
            "रिफ़ंड चाहिए",
            "मैंने दो हफ़्ते पहले सामान वापस किया था, पर ऑर्डर {order} का रिफ़ंड अभी तक नहीं मिला।",
        ),
        (
            "लॉग इन नहीं हो रहा",
            "मैंने दो बार पासवर्ड बदला फिर भी ऐप कहता है कि मेरा खाता बंद है। कृपया मदद कीजिए।",
        ),
        ("गलत साइज़ मिला", "मैंने मीडियम जैकेट मँगाई थी लेकिन लार्ज आई है। इसे कैसे बदलूँ?"),
    ],
    "bn": [
        (
            "আমার অর্ডার কোথায়?",
            "নমস্কার, আমার অর্ডার {order} গতকাল আসার কথা ছিল কিন্তু এখনও আসেনি। দয়া করে জানাবেন এটি কোথায় আছে?",
        ),
        (
            "টাকা ফেরত চাই",
            "আমি দুই সপ্তাহ আগে জিনিসটি ফেরত দিয়েছি, কিন্তু অর্ডার {order}-এর টাকা এখনও ফেরত পাইনি।",
        ),
        ("লগ ইন করতে পারছি না", "আমি দুবার পাসওয়ার্ড বদলেছি তবুও অ্যাপ বলছে আমার অ্যাকাউন্ট বন্ধ।"),
        ("ভুল মাপ পাঠানো হয়েছে", "আমি মাঝারি জ্যাকেট অর্ডার করেছিলাম কিন্তু বড়টি এসেছে। কীভাবে বদলাব?"),
    ],
    "el": [
        (
            "Πού είναι η παραγγελία μου;",
            "Γεια σας, η παραγγελία μου {order} έπρεπε να έρθει "
            "χθες αλλά δεν έχει φτάσει ακόμα. Μπορείτε να μου πείτε πού βρίσκεται;",
        ),
        (
            "Αίτημα επιστροφής χρημάτων",
            "Επέστρεψα τα ακουστικά πριν από δύο εβδομάδες και "
            "ακόμα δεν έχω λάβει την επιστροφή για την παραγγελία {order}.",
        ),
        (
            "Δεν μπορώ να συνδεθώ",
            "Άλλαξα τον κωδικό μου δύο φορές αλλά η εφαρμογή λέει ότι ο "
            "λογαριασμός μου είναι κλειδωμένος.",
        ),
        ("Λάθος μέγεθος", "Παρήγγειλα μεσαίο μπουφάν αλλά ήρθε μεγάλο. Πώς μπορώ να το αλλάξω;"),
    ],
    "fr": [
        (
            "Où est ma commande ?",
            "Bonjour, ma commande {order} devait arriver hier et je ne "
            "l'ai toujours pas reçue. Pouvez-vous me dire où elle se trouve ?",
        ),
        (
            "Demande de remboursement",
            "J'ai renvoyé le casque il y a deux semaines et je n'ai "
            "toujours pas été remboursé pour la commande {order}.",
        ),
        (
            "Impossible de me connecter",
            "J'ai réinitialisé mon mot de passe deux fois mais "
            "l'application dit toujours que mon compte est bloqué.",
        ),
        (
            "Mauvaise taille livrée",
            "J'ai commandé une veste taille M mais j'ai reçu une taille "
            "L. Comment faire un échange ?",
        ),
    ],
}

REPLIES = {
    "en": "Thank you for writing to us. We are looking into it and will get back to you today.",
    "hi": "हमें लिखने के लिए धन्यवाद। हम इसे देख रहे हैं और आज ही आपको जवाब देंगे।",
    "bn": "আমাদের লেখার জন্য ধন্যবাদ। আমরা বিষয়টি দেখছি এবং আজই আপনাকে জানাব।",
    "el": "Σας ευχαριστούμε που μας γράψατε. Το εξετάζουμε και θα σας απαντήσουμε σήμερα.",
    "fr": "Merci de nous avoir écrit. Nous examinons votre demande et revenons vers vous "
    "aujourd'hui.",
}

ZONES = {
    "en": "Europe/London",
    "hi": "Asia/Kolkata",
    "bn": "Asia/Kolkata",
    "el": "Europe/Athens",
    "fr": "Europe/Paris",
}
PHONE_PREFIX = {
    "en": "+44 7700 9",
    "hi": "+91 98100 ",
    "bn": "+91 98300 ",
    "el": "+30 694 12",
    "fr": "+33 6 12 3",
}
ORGS = [
    ("Acme Retail", "acme.example"),
    ("Bharat Traders", "bharat.example"),
    ("Kolkata Crafts", "kolkatacrafts.example"),
    ("Aegean Travel", "aegean.example"),
    ("Maison Lumière", "lumiere.example"),
]
# Only channels whose connector is installed: every demo conversation can be answered.
CHANNELS = [
    ("email", "Support mailbox"),
    ("chat", "Website chat"),
    ("webform", "Website form"),
    ("api", "Partner API"),
]
# The demo mailbox: mail to it (on the built-in SMTP listener) arrives in the inbox, and
# replies come from it (kept in the local outbox unless SAHAYAK_SMTP_URL is set).
MAILBOX_CONFIG = {"address": "support@example.com", "from_name": "Sahayak Support"}


# The demo's chat runs on any site (a real inbox lists its sites), greets in five languages.
CHAT_CONFIG = {
    "allowed_origins": ["*"],
    "color": "#0b6e4f",
    "title": "Sahayak Support",
    "prechat": "optional",
    "greeting": {
        "en": "Hi! How can we help you today?",
        "fr": "Bonjour ! Comment pouvons-nous vous aider ?",
        "hi": "नमस्ते! हम आपकी क्या मदद कर सकते हैं?",
        "bn": "নমস্কার! আমরা আপনাকে কীভাবে সাহায্য করতে পারি?",
        "el": "Γεια σας! Πώς μπορούμε να σας βοηθήσουμε;",
    },
}


def chat_key() -> str:
    inbox = Inbox.objects.filter(channel="chat").order_by("id").first()
    return inbox.public_key if inbox else ""


def form_path() -> str:
    inbox = Inbox.objects.filter(channel="webform").order_by("id").first()
    return f"/form/{inbox.public_key}/" if inbox else ""


def already_loaded() -> bool:
    return Inbox.objects.filter(name="Website form", channel="webform").exists()


@transaction.atomic
def load(progress: Callable[[str], None] = lambda _msg: None, seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    now = timezone.now()
    admin = _user("admin", "admin@example.com", "Asha Admin", Role.ADMIN, superuser=True)
    agents = [
        _user("priya", "priya@example.com", "Priya Nair", Role.AGENT),
        _user("nikos", "nikos@example.com", "Nikos Georgiou", Role.AGENT),
        _user("marie", "marie@example.com", "Marie Laurent", Role.SUPERVISOR),
    ]
    support, _c = Team.objects.get_or_create(name="Support")
    billing, _c = Team.objects.get_or_create(name="Billing")
    vip, _c = Team.objects.get_or_create(name="VIP", defaults={"is_private": True})
    support.members.add(*agents)
    billing.members.add(agents[0])
    vip.members.add(agents[2])
    configs = {"email": MAILBOX_CONFIG, "chat": CHAT_CONFIG}
    inboxes = {
        kind: Inbox.objects.create(
            name=name, channel=kind, team=support, config=configs.get(kind, {})
        )
        for kind, name in CHANNELS
        if channels.is_known(kind)
    }
    orgs = [Organization.objects.create(name=n, domain=d) for n, d in ORGS]
    _routing(support, agents)
    progress("agents, teams, inboxes, organizations, business hours and SLAs")

    customers = 0
    for lang_index, (lang, names) in enumerate(NAMES.items()):
        for i, name in enumerate(names):
            org = orgs[lang_index] if i % 3 == 0 else None
            domain = org.domain if org else "mail.example"
            email = f"{lang}.customer{i}@{domain}"
            phone = f"{PHONE_PREFIX[lang]}{rng.randint(10000, 99999)}"
            order_refs = []
            for n in range(rng.randint(1, 3)):
                ref = f"ORD-{lang.upper()}-{i:02d}{n}"
                order_refs.append(ref)
                _order(ref, email, name, rng, now)
            for n in range(rng.randint(1, 3)):
                kind = rng.choice(list(inboxes))
                _conversation(
                    inboxes[kind],
                    lang,
                    name,
                    email,
                    phone,
                    rng,
                    order_refs,
                    now,
                    agents,
                    n,
                    billing,
                    vip,
                )
            customers += 1
        progress(f"{customers} customers")
    from sahayak.knowledge import demo as knowledge_demo

    progress(f"{knowledge_demo.load(admin)} help center articles")
    progress(f"{_canned_replies()} canned replies and macros")
    progress(f"{_rules(support, billing)} automation rules")
    _surveys_on(inboxes)
    transaction.on_commit(_replay_for_reports)
    _, secret = create_api_token(user=admin, name="demo")
    transaction.on_commit(_compute_deadlines)
    return {
        "admin_email": admin.email,
        "password": DEMO_PASSWORD,
        "token": secret,
    }


def _canned_replies() -> int:
    """Shared canned replies in the demo's languages (Bengali left out: the picker says
    the English text is used), and a macro that answers, tags and solves."""
    from sahayak.automation import canned, macros
    from sahayak.automation.models import CannedReply, Macro

    refund = canned.save_reply(
        CannedReply(title="Refund policy", shortcut="refund"),
        [
            (
                "en",
                "Hello {{ customer.first_name }}, your refund for {{ order.latest.reference }} "
                "is on its way: it reaches your account within 5 working days. — {{ agent.first_name }}",
            ),
            (
                "fr",
                "Bonjour {{ customer.first_name }}, le remboursement de {{ order.latest.reference }} "
                "est en route : il arrive sur votre compte sous 5 jours ouvrés. — {{ agent.first_name }}",
            ),
            (
                "hi",
                "नमस्ते {{ customer.first_name }}, {{ order.latest.reference }} का रिफ़ंड भेज दिया गया है: "
                "5 कार्यदिवसों में आपके खाते में आ जाएगा। — {{ agent.first_name }}",
            ),
            (
                "el",
                "Γεια σας {{ customer.first_name }}, η επιστροφή χρημάτων για το {{ order.latest.reference }} "
                "είναι καθ' οδόν: θα φτάσει στον λογαριασμό σας σε 5 εργάσιμες. — {{ agent.first_name }}",
            ),
        ],
    )
    canned.save_reply(
        CannedReply(title="Where is my order", shortcut="track"),
        [
            (
                "en",
                "Hello {{ customer.first_name }}, order {{ order.latest.reference }} is "
                '{{ order.latest.status | default: "being prepared" }}.',
            ),
            (
                "fr",
                "Bonjour {{ customer.first_name }}, voici où en est la commande "
                "{{ order.latest.reference }} du {{ order.latest.date }} : "
                '{{ order.latest.status | default: "en préparation" }}.',
            ),
        ],
    )
    macros.save_macro(
        Macro(name="Refund sent"),
        [
            {"type": "reply", "canned_reply_id": refund.pk},
            {"type": "add_tags", "value": ["refund"]},
            {"type": "status", "value": "solved"},
        ],
        [],
    )
    return 3


def _rules(support: Team, billing: Team) -> int:
    """Rules that show what automation does on new messages, besides the shipped ones
    (acknowledgement, answer bot): urgent words, refunds to Billing, a reminder."""
    from sahayak.automation import canned, rulebook
    from sahayak.automation.models import CannedReply, Rule

    checking_in = canned.save_reply(
        CannedReply(title="Checking in", shortcut="checkin"),
        [
            (
                "en",
                "Hello {{ customer.first_name }}, do you still need help with this? Just reply to this message.",
            ),
            (
                "fr",
                "Bonjour {{ customer.first_name }}, avez-vous encore besoin d’aide ? Répondez simplement à ce message.",
            ),
            (
                "hi",
                "नमस्ते {{ customer.first_name }}, क्या आपको अभी भी इसमें मदद चाहिए? बस इस संदेश का जवाब दें।",
            ),
            ("bn", "নমস্কার {{ customer.first_name }}, এ বিষয়ে কি এখনো সাহায্য দরকার? এই বার্তার উত্তর দিন।"),
            (
                "el",
                "Γεια σας {{ customer.first_name }}, χρειάζεστε ακόμα βοήθεια; Απλώς απαντήστε σε αυτό το μήνυμα.",
            ),
        ],
    )
    specs: list[tuple[str, dict[str, Any], dict[str, Any], list[dict[str, Any]]]] = [
        (
            "Urgent requests first",
            {"events": ["customer_message"]},
            {
                "match": "any",
                "items": [
                    {"field": "message", "op": "matches", "value": r"\b(urgent|asap|urgence)\b"},
                    {"field": "message", "op": "contains", "value": "तुरंत"},
                    {"field": "message", "op": "contains", "value": "জরুরি"},
                    {"field": "message", "op": "contains", "value": "επείγον"},
                ],
            },
            [{"type": "priority", "value": "urgent"}, {"type": "add_tags", "value": ["urgent"]}],
        ),
        (
            "Refund questions to Billing",
            {"events": ["created"]},
            {
                "match": "all",
                "items": [
                    # Only from the general queue: the private VIP team keeps its own.
                    {"field": "team", "op": "in", "value": [support.pk]},
                    {
                        "match": "any",
                        "items": [
                            {"field": "message", "op": "contains", "value": word}
                            for word in ("refund", "rembourse", "रिफ़ंड", "ফেরত", "επιστροφή")
                        ],
                    },
                ],
            },
            [{"type": "team", "value": billing.pk}, {"type": "add_tags", "value": ["refund"]}],
        ),
        (
            "Check in after 3 days pending",
            {"anchor": "status_changed", "delay_minutes": 3 * 24 * 60},
            {"match": "all", "items": [{"field": "status", "op": "in", "value": ["pending"]}]},
            [
                {"type": "reply", "canned_reply_id": checking_in.pk},
                {"type": "note", "text": "Checked in with the customer after 3 days pending."},
            ],
        ),
    ]
    for name, when, conditions, actions in specs:
        fields = rulebook.clean(
            name=name,
            trigger="time" if "anchor" in when else "event",
            events=when.get("events", []),
            anchor=when.get("anchor", ""),
            delay_minutes=when.get("delay_minutes", 0),
            conditions_in=conditions,
            actions_in=actions,
        )
        rulebook.save_rule(Rule(), fields, enabled=True, user=None)
    return len(specs)


def _routing(support: Team, agents: list[User]) -> None:
    """Business hours in India and Europe, two SLA policies, agents' languages and skills.
    Assignment stays manual: the demo's agents are not signed in to take work."""
    from sahayak.routing.models import AgentRouting, Calendar, Holiday, RoutingPolicy, SlaPolicy

    india = Calendar.objects.create(
        name="India",
        time_zone="Asia/Kolkata",
        weekly={str(d): [["09:00", "18:00"]] for d in range(6)},
    )
    for month, day, name in [
        (1, 26, "Republic Day"),
        (8, 15, "Independence Day"),
        (10, 2, "Gandhi Jayanti"),
    ]:
        Holiday.objects.create(calendar=india, day=date(2000, month, day), yearly=True, name=name)
    Calendar.objects.create(
        name="Europe",
        time_zone="Europe/Paris",
        weekly={str(d): [["09:00", "17:00"]] for d in range(5)},
    )
    RoutingPolicy.objects.create(team=support, calendar=india)
    SlaPolicy.objects.create(
        name="Urgent",
        position=0,
        conditions={"priority": ["urgent", "high"]},
        first_response_minutes=30,
        next_response_minutes=60,
        resolution_minutes=8 * 60,
        business_hours=False,
        warn_minutes=10,
    )
    SlaPolicy.objects.create(
        name="Standard",
        position=10,
        first_response_minutes=4 * 60,
        next_response_minutes=2 * 60,
        resolution_minutes=3 * 9 * 60,
        business_hours=True,
        warn_minutes=30,
    )
    spoken = [(["hi", "en"], ["billing"]), (["el", "en"], ["shipping"]), (["fr", "en"], [])]
    for agent, (languages, skills) in zip(agents, spoken, strict=True):
        AgentRouting.objects.update_or_create(
            user=agent,
            defaults={"languages": languages, "skills": skills, "capacity": {"chat": 3, "*": 20}},
        )


def _compute_deadlines() -> None:
    """Clocks of the demo's open conversations, from their (back-dated) event logs."""
    from sahayak.routing import deadlines

    after: int | None = 0
    while after is not None:
        _done, after = deadlines.recompute_open(after)


RATING_COMMENTS = {
    "en": ["Quick and friendly, thank you!", "Took a while, but solved.", ""],
    "hi": ["बहुत अच्छी सेवा, धन्यवाद!", "जवाब देर से मिला।", ""],
    "bn": ["খুব ভালো সাহায্য, ধন্যবাদ!", "উত্তর পেতে দেরি হয়েছে।", ""],
    "el": ["Γρήγορη εξυπηρέτηση, ευχαριστώ!", "Άργησε λίγο.", ""],
    "fr": ["Rapide et aimable, merci !", "Un peu long, mais résolu.", ""],
}


def _rating(conversation: Conversation, lang: str, rng: random.Random) -> None:
    """A customer who answered the satisfaction survey (through the real answer path)."""
    from sahayak.feedback import surveys
    from sahayak.feedback.models import Kind, State, Survey

    now = timezone.now()
    survey = Survey.objects.create(
        kind=Kind.CSAT,
        state=State.SENT,
        contact_id=conversation.contact_id,
        conversation=conversation,
        channel=conversation.channel,
        language=lang,
        due_at=conversation.solved_at or now,
        sent_at=conversation.solved_at or now,
        open_until=now + timedelta(days=14),
        inbox_id=conversation.inbox_id,
        team_id=conversation.team_id,
        agent_id=conversation.assignee_id,
    )
    score = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 4, 6))[0]
    comment = rng.choice(RATING_COMMENTS[lang]) if score != 3 else ""
    surveys.answer(surveys.token_of(survey), score, comment)
    answered = min(now, (conversation.solved_at or now) + timedelta(hours=rng.randint(1, 30)))
    Survey.objects.filter(pk=survey.pk).update(answered_at=answered)


def _surveys_on(inboxes: dict[str, Inbox]) -> None:
    """Customers of the mailbox and the chat are asked for a rating once solved."""
    from sahayak.feedback.models import SurveySettings

    for kind in ("email", "chat"):
        if kind in inboxes:
            SurveySettings.objects.get_or_create(
                inbox=inboxes[kind], defaults={"enabled": True, "delay_minutes": 0}
            )


def _replay_for_reports() -> None:
    from sahayak.analytics import facts

    facts.rebuild()


def enable_answer_bot() -> None:
    """Turned on once the demo's past chats are stored, so only new chats meet the bot."""
    for inbox in Inbox.objects.filter(channel="chat"):
        inbox.config = {**inbox.config, "answer_bot": True}
        inbox.save(update_fields=["config"])


def _user(username: str, email: str, full: str, role: str, superuser: bool = False) -> User:
    first, last = full.split(" ", 1)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username,
            email=email,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            role=role,
            is_staff=True,
            is_superuser=superuser,
        )
    return user


def _order(ref: str, email: str, name: str, rng: random.Random, now: datetime) -> None:
    from sahayak.contacts.services import resolve_contact

    contact, _c = resolve_contact(kind="email", address=email, name=name)
    upsert_order(
        contact=contact,
        data=OrderData(
            external_ref=ref,
            amount=Decimal(rng.randint(500, 50000)) / 100,
            currency=rng.choice(["EUR", "INR", "GBP"]),
            ordered_at=now - timedelta(days=rng.randint(1, 200)),
            status=rng.choice(["paid", "shipped", "delivered", "refunded"]),
            items=[
                {
                    "name": rng.choice(["Headphones", "Jacket", "Kettle", "Backpack"]),
                    "quantity": rng.randint(1, 3),
                }
            ],
        ),
    )


def _conversation(
    inbox: Inbox,
    lang: str,
    name: str,
    email: str,
    phone: str,
    rng: random.Random,
    orders: list[str],
    now: datetime,
    agents: list[User],
    n: int,
    billing: Team,
    vip: Team,
) -> None:
    subject, body = rng.choice(MESSAGES[lang])
    result = receive(
        InboundMessage(
            channel=inbox.channel,
            inbox=inbox,
            sender_kind="email",
            sender_address=email,
            sender_name=name,
            subject=subject,
            text=body.format(order=rng.choice(orders)),
            external_id=f"demo-{inbox.channel}-{email}-{n}",
        )
    )
    conversation, contact = result.conversation, result.contact
    if rng.random() < 0.5:  # known by phone too (from an order): one profile, two identities
        from sahayak.contacts.services import add_identity, find_contact

        if find_contact(kind="phone", address=phone) is None:
            add_identity(contact=contact, kind="phone", address=phone)
    contact.refresh_from_db()
    if not contact.time_zone:
        contact.time_zone = ZONES[lang]
        contact.save(update_fields=["time_zone"])
    age = timedelta(hours=rng.randint(1, 24 * 30))
    conversation.__class__.objects.filter(pk=conversation.pk).update(
        created_at=now - age,
        last_message_at=now - age,
        waiting_since=now - age,
    )
    Message.objects.filter(pk=result.message.pk).update(created_at=now - age)
    if "refund" in subject.lower() or rng.random() < 0.15:
        conversation.team = billing if rng.random() < 0.8 else vip
        conversation.save(update_fields=["team"])
    outcome = rng.random()
    if outcome < 0.6:
        agent = rng.choice(agents)
        assign(conversation=conversation, assignee=agent, actor=agent)
        Message.objects.create(
            conversation=conversation,
            direction=Direction.OUTBOUND,
            channel=inbox.channel,
            author_user=agent,
            text=REPLIES[lang],
            delivery_status=DeliveryStatus.SENT,
        )
        answered = min(
            now - timedelta(minutes=1), now - age + timedelta(minutes=rng.randint(3, 600))
        )
        Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND).update(
            created_at=answered, sent_at=answered
        )
        conversation.refresh_from_db()
        conversation.first_response_at = answered
        conversation.waiting_since = None
        conversation.save(update_fields=["first_response_at", "waiting_since"])
        status = rng.choice([Status.OPEN, Status.PENDING, Status.SOLVED])
        set_status(conversation=conversation, status=status, actor=agent)
        # The log as it happened: assigned, answered, then the status change.
        Event.objects.filter(conversation=conversation, kind="assignee").update(
            created_at=answered - timedelta(minutes=1)
        )
        changed = min(now, answered + timedelta(minutes=rng.randint(5, 240)))
        Event.objects.filter(conversation=conversation, kind="status").update(created_at=changed)
        if status == Status.SOLVED:
            Conversation.objects.filter(pk=conversation.pk).update(solved_at=changed)
            if rng.random() < 0.7:
                conversation.solved_at = changed
                _rating(conversation, lang, rng)
    if rng.random() < 0.4:
        set_tags(
            conversation=conversation,
            names=[rng.choice(["delivery", "refund", "account", "exchange", "vip"])],
            actor=None,
        )
