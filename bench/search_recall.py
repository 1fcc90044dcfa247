"""Search recall on inflected forms, in five languages: does a query in one form of a word
find the article written with another form? Printed with stemming off (words and prefixes
only, as before) and on.

    DATABASE_URL=... python bench/search_recall.py     # or SAHAYAK_DATA_DIR=... for SQLite

Each case is (language, article title, article body, query). The article uses one form,
the query another: plural/singular, verb forms, case endings, postpositions.
"""

from __future__ import annotations

from unittest import mock

import _setup  # noqa: F401
from django.db import connection, transaction

from sahayak.knowledge import search
from sahayak.knowledge.models import ArticleTranslation

CASES = [
    ("en", "Refund policy", "How a refund is paid back.", "refunds"),
    ("en", "Refund policy", "How a refund is paid back.", "refunded"),
    ("en", "Delivery times", "When a delivery arrives.", "deliveries"),
    ("en", "Cancel a booking", "You can cancel any booking.", "cancelling bookings"),
    ("en", "Track your parcel", "Where your parcel is now.", "tracking parcels"),
    ("en", "Change your password", "Choose a new password.", "changed passwords"),
    ("en", "Invoices", "Download an invoice.", "invoice"),
    ("en", "Payment methods", "Cards and wallets we accept.", "paying"),
    ("en", "Damaged items", "What to do when an item arrives damaged.", "damage"),
    ("en", "Subscriptions", "Manage a subscription.", "subscribed"),
    ("fr", "Votre facture", "Télécharger la facture.", "factures"),
    ("fr", "Remboursement rapide", "Le remboursement arrive vite.", "rembourser"),
    ("fr", "Livraison", "Quand arrive la livraison.", "livraisons"),
    ("fr", "Annuler une commande", "Vous pouvez annuler.", "annulation commandes"),
    ("fr", "Changer le mot de passe", "Choisissez un nouveau mot.", "changement"),
    ("fr", "Colis endommagé", "Un colis arrive endommagé.", "endommagés"),
    ("fr", "Modes de paiement", "Les cartes acceptées.", "payer"),
    ("fr", "Suivre un colis", "Où est votre colis.", "suivi"),
    ("fr", "Réserver une table", "Réservez en ligne.", "réservations"),
    ("fr", "Abonnement", "Gérer votre abonnement.", "abonnements"),
    ("el", "Η παραγγελία σας", "Πού είναι η παραγγελία.", "παραγγελίες"),
    ("el", "Επιστροφή χρημάτων", "Η επιστροφή γίνεται.", "επιστροφές"),
    ("el", "Ακύρωση εισιτηρίου", "Ακυρώστε το εισιτήριο.", "εισιτήρια"),
    ("el", "Παράδοση δεμάτων", "Πότε έρχεται το δέμα.", "παραδόσεις"),
    ("el", "Αλλαγή κωδικού", "Νέος κωδικός πρόσβασης.", "κωδικοί"),
    ("el", "Πληρωμή με κάρτα", "Δεκτές κάρτες.", "πληρωμές"),
    ("el", "Τιμολόγιο", "Κατεβάστε το τιμολόγιο.", "τιμολόγια"),
    ("el", "Κράτηση θέσης", "Κάντε κράτηση.", "κρατήσεις"),
    ("el", "Συνδρομή", "Διαχείριση συνδρομής.", "συνδρομές"),
    ("el", "Χαλασμένο προϊόν", "Το προϊόν ήρθε χαλασμένο.", "προϊόντα"),
    ("hi", "ऑर्डर की स्थिति", "आपका ऑर्डर कहाँ है", "ऑर्डरों"),
    ("hi", "रिफंड नीति", "रिफंड कैसे मिलता है", "रिफंडों"),
    ("hi", "पासवर्ड बदलें", "नया पासवर्ड चुनें", "पासवर्डों"),
    ("hi", "टिकट रद्द करें", "टिकट रद्द करने के लिए", "टिकटें"),
    ("hi", "भुगतान के तरीके", "कार्ड से भुगतान", "भुगतानों"),
    ("hi", "डिलीवरी का समय", "डिलीवरी कब होगी", "डिलीवरियाँ"),
    ("hi", "खाता बंद करें", "अपना खाता बंद करें", "खाते"),
    ("hi", "बिल डाउनलोड करें", "बिल यहाँ है", "बिलों"),
    ("hi", "सदस्यता", "सदस्यता प्रबंधित करें", "सदस्यताएँ"),
    ("hi", "पार्सल ट्रैक करें", "पार्सल कहाँ है", "पार्सलों"),
    ("bn", "অর্ডার বাতিল", "অর্ডার বাতিল করুন", "অর্ডারের"),
    ("bn", "টাকা ফেরত", "টাকা ফেরত পাবেন", "টাকার"),
    ("bn", "পাসওয়ার্ড বদলান", "নতুন পাসওয়ার্ড", "পাসওয়ার্ডগুলো"),
    ("bn", "টিকিট বাতিল", "টিকিট বাতিল করুন", "টিকিটের"),
    ("bn", "ডেলিভারির সময়", "ডেলিভারি কখন", "ডেলিভারিগুলি"),
    ("bn", "বিল ডাউনলোড", "বিল এখানে", "বিলের"),
    ("bn", "কার্ডে পেমেন্ট", "কার্ড দিয়ে পেমেন্ট", "পেমেন্টের"),
    ("bn", "পার্সেল ট্র্যাক", "পার্সেল কোথায়", "পার্সেলটি"),
    ("bn", "সদস্যপদ", "সদস্যপদ পরিচালনা", "সদস্যপদের"),
    ("bn", "অ্যাকাউন্ট বন্ধ", "অ্যাকাউন্ট বন্ধ করুন", "অ্যাকাউন্টের"),
]


def recall(stemming: bool) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    with transaction.atomic():
        search.backend().clear()
        ArticleTranslation.objects.all().delete()
        from tests.factories import make_article  # the suite's article factory

        made = {}
        for locale, title, body, _query in CASES:
            if (locale, title) not in made:
                made[(locale, title)] = make_article(title, body, locale=locale)
        if not stemming:  # index and query as before stems: words and prefixes only
            for target in ("sahayak.knowledge.search.text.stems", "sahayak.knowledge.search.stems"):
                mock.patch(target, return_value=[]).start()
            search.reindex()
        for locale, title, _body, query in CASES:
            hits = [r.translation.title for r in search.search_articles(query, locales=[locale])]
            ok, total = found.get(locale, (0, 0))
            found[locale] = (ok + (title in hits), total + 1)
        mock.patch.stopall()
        transaction.set_rollback(True)
    return found


def main() -> None:
    print(f"Search recall on inflected forms ({connection.vendor}), {len(CASES)} queries")
    before, after = recall(stemming=False), recall(stemming=True)
    print(f"  {'language':<9}{'words only':>12}{'with stems':>12}")
    for locale in ("en", "fr", "el", "hi", "bn"):
        b, a = before[locale], after[locale]
        print(f"  {locale:<9}{b[0]:>5}/{b[1]:<6}{a[0]:>5}/{a[1]:<6}")
    total_b = sum(v[0] for v in before.values())
    total_a = sum(v[0] for v in after.values())
    print(f"  {'all':<9}{total_b:>5}/{len(CASES):<6}{total_a:>5}/{len(CASES):<6}")


if __name__ == "__main__":
    main()
