"""Demo help center: two categories and a few articles in English, Hindi, Bengali, Greek
and French (one article without a Greek translation, to show the fallback; one internal)."""

from __future__ import annotations

from sahayak.accounts.models import User

from .articles import TranslationInput, create_article
from .models import Category, Section, Visibility

CATEGORIES = [
    (
        "orders",
        {
            "en": "Orders and delivery",
            "hi": "ऑर्डर और डिलीवरी",
            "bn": "অর্ডার ও ডেলিভারি",
            "el": "Παραγγελίες και παράδοση",
            "fr": "Commandes et livraison",
        },
        [
            (
                "tracking",
                {
                    "en": "Tracking",
                    "hi": "ट्रैकिंग",
                    "bn": "ট্র্যাকিং",
                    "el": "Παρακολούθηση",
                    "fr": "Suivi",
                },
            ),
            (
                "returns",
                {
                    "en": "Returns and refunds",
                    "hi": "वापसी और रिफ़ंड",
                    "bn": "ফেরত ও রিফান্ড",
                    "el": "Επιστροφές",
                    "fr": "Retours et remboursements",
                },
            ),
        ],
    ),
    (
        "account",
        {
            "en": "Your account",
            "hi": "आपका खाता",
            "bn": "আপনার অ্যাকাউন্ট",
            "el": "Ο λογαριασμός σας",
            "fr": "Votre compte",
        },
        [
            (
                "sign-in",
                {
                    "en": "Signing in",
                    "hi": "साइन इन",
                    "bn": "সাইন ইন",
                    "el": "Σύνδεση",
                    "fr": "Connexion",
                },
            )
        ],
    ),
]

ARTICLES = [
    (
        "tracking",
        Visibility.PUBLIC,
        {
            "en": (
                "Track your parcel",
                "Open **My orders**, choose the order and press **Track**. Tracking starts "
                "the day after your parcel ships.",
            ),
            "hi": (
                "अपना पार्सल ट्रैक करें",
                "**मेरे ऑर्डर** खोलें, ऑर्डर चुनें और **ट्रैक** दबाएँ। पार्सल भेजे जाने के "
                "अगले दिन से ट्रैकिंग शुरू होती है।",
            ),
            "bn": (
                "আপনার পার্সেল ট্র্যাক করুন",
                "**আমার অর্ডার** খুলুন, অর্ডারটি বেছে নিন এবং **ট্র্যাক** চাপুন। পার্সেল পাঠানোর "
                "পরের দিন থেকে ট্র্যাকিং শুরু হয়।",
            ),
            "el": (
                "Παρακολουθήστε το δέμα σας",
                "Ανοίξτε τις **Παραγγελίες μου**, επιλέξτε την παραγγελία και πατήστε "
                "**Παρακολούθηση**. Η παρακολούθηση ξεκινά την επομένη της αποστολής.",
            ),
            "fr": (
                "Suivre votre colis",
                "Ouvrez **Mes commandes**, choisissez la commande puis **Suivre**. Le suivi "
                "commence le lendemain de l'expédition.",
            ),
        },
    ),
    (
        "returns",
        Visibility.PUBLIC,
        {
            "en": (
                "Return an item and get a refund",
                "You can return any item within **30 days**. Refunds reach your card "
                "5 to 7 days after we receive the parcel.",
            ),
            "hi": (
                "सामान लौटाएँ और रिफ़ंड पाएँ",
                "आप कोई भी सामान **30 दिनों** के भीतर लौटा सकते हैं। पार्सल मिलने के 5 से 7 "
                "दिन बाद रिफ़ंड आपके कार्ड पर आता है।",
            ),
            "bn": (
                "পণ্য ফেরত দিন এবং রিফান্ড পান",
                "যেকোনো পণ্য **৩০ দিনের** মধ্যে ফেরত দিতে পারেন। পার্সেল পাওয়ার ৫ থেকে ৭ দিন "
                "পরে রিফান্ড আপনার কার্ডে পৌঁছায়।",
            ),
            "fr": (
                "Retourner un article et être remboursé",
                "Vous pouvez retourner tout article sous **30 jours**. Le remboursement "
                "arrive sur votre carte 5 à 7 jours après réception du colis.",
            ),
        },
    ),
    (
        "sign-in",
        Visibility.PUBLIC,
        {
            "en": (
                "Reset your password",
                "On the sign-in page choose **Forgot password** and follow the link we "
                "email you. The link works for one hour.",
            ),
            "hi": (
                "अपना पासवर्ड रीसेट करें",
                "साइन-इन पेज पर **पासवर्ड भूल गए** चुनें और ईमेल में भेजे गए लिंक का पालन "
                "करें। लिंक एक घंटे तक काम करता है।",
            ),
            "bn": (
                "পাসওয়ার্ড রিসেট করুন",
                "সাইন-ইন পাতায় **পাসওয়ার্ড ভুলে গেছেন** বেছে নিন এবং ইমেলে পাঠানো লিংক "
                "অনুসরণ করুন। লিংকটি এক ঘণ্টা কাজ করে।",
            ),
            "el": (
                "Επαναφορά κωδικού πρόσβασης",
                "Στη σελίδα σύνδεσης επιλέξτε **Ξέχασα τον κωδικό** και ακολουθήστε τον "
                "σύνδεσμο που σας στέλνουμε. Ο σύνδεσμος ισχύει για μία ώρα.",
            ),
            "fr": (
                "Réinitialiser votre mot de passe",
                "Sur la page de connexion, choisissez **Mot de passe oublié** et suivez le "
                "lien reçu par courriel. Le lien est valable une heure.",
            ),
        },
    ),
    (
        "returns",
        Visibility.INTERNAL,
        {
            "en": (
                "Refunds above the limit (agents)",
                "Refunds above 200 € need a supervisor: add the *refund-approval* tag and "
                "assign the conversation to the Billing team.",
            ),
        },
    ),
]


def load(author: User | None) -> int:
    sections: dict[str, Section] = {}
    for position, (slug, names, section_list) in enumerate(CATEGORIES):
        category = Category.objects.create(names=names, slug=slug, position=position)
        for sposition, (section_slug, section_names) in enumerate(section_list):
            sections[section_slug] = Section.objects.create(
                category=category, names=section_names, slug=section_slug, position=sposition
            )
    for section_slug, visibility, texts in ARTICLES:
        create_article(
            author=author,
            section=sections[section_slug],
            visibility=visibility,
            translations=[
                TranslationInput(locale=locale, title=title, body=body, status="published")
                for locale, (title, body) in texts.items()
            ],
        )
    return len(ARTICLES)
