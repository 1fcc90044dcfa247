"""Function words left out of "any word" queries, where they would match everything.

Short lists for the languages Sahayak ships with; words are folded like search terms.
An all-words query keeps them (a title like "Where is my order" must still match exactly).
"""

from __future__ import annotations

from functools import cache

from .text import terms

# The most common function words of each language (not a complete list).
BY_LANGUAGE = {
    "en": (
        "a an the and or but if of to in on at by for with from about as into than then so "
        "not no is are was were be been being am do does did have has had can could will "
        "would should may might must i me my mine we us our you your yours he him his she her "
        "it its they them their this that these those there here what which who whom whose "
        "when where why how all any some please hi hello thanks thank just also very too get "
        "got want need know help"
    ),
    "fr": (
        "le la les l un une des du de d et ou mais donc car ne pas plus je j me m moi mon ma "
        "mes tu te toi ton ta tes il elle on nous vous ils elles leur leurs se s ce cet cette "
        "ces qui que qu quoi dont est sont suis es était avoir ai as a avons avez ont être "
        "fait faire pour par avec sans sur sous dans en au aux y bonjour merci svp comment "
        "pourquoi quand"
    ),
    "el": (
        "και ή αλλά ο η το οι τα του της των τον την στο στη στον στην σε με για από ως να θα "
        "δεν μη μην είναι ήταν έχω έχει εγώ εσύ αυτός αυτή αυτό εμείς εσείς μου σου μας σας "
        "τι πώς πού γιατί πότε ποιος ένα μια ένας γεια ευχαριστώ παρακαλώ"
    ),
    "hi": (
        "और या लेकिन का की के को में से पर है हैं था थे थी हो होता होती मैं मुझे मेरा मेरी मेरे "
        "हम हमारा आप आपका तुम यह वह ये वे क्या कैसे क्यों कब कहाँ कौन एक भी तो ही नहीं ना "
        "कृपया नमस्ते जी कर करें करना रहा रही रहे गया गई"
    ),
    # Hindi and Bengali as typed in Latin letters ("mera order kab aayega").
    "hi-Latn": (
        "mera meri mere mujhe hai hain nahi nahin kya kaise kyun kab kahan ho raha rahi rahe "
        "ka ki ke ko se mein aur bhi kar karo karna karun karein tha thi aap aapka aapki hum "
        "yeh ye woh wo ji plz bhai hua hui gaya gayi abhi tak"
    ),
    "bn-Latn": (
        "ami amar amake apni apnar tumi keno kothay kobe hobe ache achhe nei korbo korun "
        "kori theke ekhon holo chai dada"
    ),
    "bn": (
        "এবং বা কিন্তু এর এ ও কে থেকে তে হয় হয়েছে ছিল আমি আমার আমাকে আমরা আপনি আপনার তুমি "
        "সে তার এটা এটি ওটা কি কী কেন কখন কোথায় একটি এক না নয় দয়া করে নমস্কার করুন"
    ),
}


@cache
def stopwords() -> frozenset[str]:
    return frozenset(terms(" ".join(BY_LANGUAGE.values())))


def content_terms(query_terms: list[str]) -> list[str]:
    """The query's terms without function words (all of them if nothing else is left)."""
    kept = [t for t in query_terms if t not in stopwords()]
    return kept or query_terms
