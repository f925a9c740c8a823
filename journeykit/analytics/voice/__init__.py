"""The voice of the customer: sentiment, themes, the emotion curve, masking of personal data.

Every survey comment (``feedback.comment``) and support ticket text (``tickets.text``)
gets a sentiment score and is linked to a stage and touchpoint:

* **Sentiment** is VADER's *compound* score (Hutto & Gilbert 2014) from the
  ``vaderSentiment`` package, whose lexicon ships inside the wheel: fully offline,
  −1 (most negative) … +1 (most positive). VADER's own convention is used to call a
  text negative (compound ≤ −0.05) or positive (≥ +0.05); see :data:`NEGATIVE`.
* **Linking**: explicit ``stage`` / ``touchpoint`` columns win. Otherwise the keyword
  rules of journey.yaml ``themes:`` fill what is missing::

      themes:
        delivery: {keywords: [late, delivery, courier], stage: post_purchase, touchpoint: tp_delivery}

  Keywords match as whole words (``late`` matches "Late!" but not "latest"),
  case-insensitively. When several themes match, the one consistent with an explicit
  touchpoint/stage wins, then the one with most keyword hits, then the first in
  journey.yaml.
* **Themes**: an explicit ``theme`` column (feedback or tickets), or a ticket
  ``category`` equal to a theme name, gives ``theme_source == "column"``; a keyword
  match gives ``"keyword"``; otherwise the theme is missing.
  :func:`candidate_themes` offers frequent phrases of the unthemed texts (TF-IDF 1–3-grams)
  as candidates for new themes.
* **Masking**: texts leave this module with e-mail addresses and phone numbers replaced
  by ``[email]`` and ``[phone]`` (:func:`mask_pii`).

Example:
    >>> float(sentiment(["I love this shop"]).iloc[0]) > 0.05
    True
    >>> mask_pii("Call +31 6 12345678 or mail jan@example.com about order #12345")
    'Call [phone] or mail [email] about order #12345'
"""

from journeykit.analytics.voice.emotion import emotion_curve
from journeykit.analytics.voice.linking import ANALYSIS_COLUMNS, analyze_feedback, linked_feedback
from journeykit.analytics.voice.pii import mask_pii
from journeykit.analytics.voice.sentiment import NEGATIVE, POSITIVE, sentiment
from journeykit.analytics.voice.themes import ENGLISH_STOP_WORDS, candidate_themes

__all__ = [
    "ANALYSIS_COLUMNS",
    "ENGLISH_STOP_WORDS",
    "NEGATIVE",
    "POSITIVE",
    "analyze_feedback",
    "candidate_themes",
    "emotion_curve",
    "linked_feedback",
    "mask_pii",
    "sentiment",
]
