"""Language-aware voice of the customer: language detection, sentiment per language, the
rating as the emotion signal where a language has no method, accents and stop words in
candidate themes, the emotion curve and the map saying how texts were scored.

The reviews below were written for these tests (not taken from any data set): Portuguese,
English, German and Dutch, each with the star rating its writer gave.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from journeykit.analytics.definitions import semantics
from journeykit.analytics.voice import (
    NEGATIVE,
    analyze_feedback,
    candidate_themes,
    detect_language,
    emotion_curve,
    score_texts,
    sentiment,
    voice_scores,
)
from journeykit.viz.journey_map import journey_map
from journeykit.workspace import Workspace
from journeykit.workspace.config import Defaults, JourneyConfig, Stage
from tests.figures import all_text, chart_workspace, squash

REVIEWS = [  # (language, stars, text)
    ("pt", 5, "Produto excelente, chegou antes do prazo. Recomendo!"),
    ("pt", 5, "Ótima loja, entrega rápida e tudo perfeito."),
    ("pt", 5, "Adorei, muito bom, superou as expectativas."),
    ("pt", 4, "Produto correto, entregue no prazo, preço bom."),
    ("pt", 4, "Bom produto, embalagem bem feita."),
    ("pt", 3, "O produto é razoável, mas a entrega demorou."),
    ("pt", 2, "Chegou com defeito, estou insatisfeito."),
    ("pt", 2, "Não recebi o produto ainda, entrega muito atrasada."),
    ("pt", 1, "Péssimo, nunca chegou e ninguém responde."),
    ("pt", 1, "Horrível, produto quebrado e sem resposta do vendedor."),
    ("pt", 1, "Nao recebi meu pedido, que decepção."),
    ("en", 5, "Brilliant service, the bike arrived early and works perfectly."),
    ("en", 5, "Great shop, friendly staff, highly recommended."),
    ("en", 4, "Good value, delivery was on time."),
    ("en", 3, "It is okay, nothing special."),
    ("en", 2, "The delivery was late and the box was damaged."),
    ("en", 1, "Terrible experience, the order never arrived and support was rude."),
    ("en", 1, "Awful quality, broke after one day."),
    ("de", 5, "Sehr gute Beratung, gerne wieder."),
    ("de", 4, "Lieferung pünktlich, alles in Ordnung."),
    ("de", 2, "Die Lieferung kam viel zu spät."),
    ("de", 1, "Das Fahrrad war kaputt und niemand hat geantwortet."),
    ("nl", 5, "Heel vriendelijk personeel en snelle levering."),
    ("nl", 4, "Prima fiets voor een goede prijs."),
    ("nl", 2, "De bezorging was veel te laat."),
    ("nl", 1, "De fiets is nooit geleverd en de klantenservice reageert niet."),
]
LANGUAGE = [r[0] for r in REVIEWS]
STARS = [r[1] for r in REVIEWS]
TEXTS = [r[2] for r in REVIEWS]


def stage(id_, name):
    return Stage(id=id_, name=name, description="", events=(), emotion=None)


def workspace(feedback, tickets=None, themes=None):
    config = JourneyConfig(
        business="Test", stages=(stage("buy", "Buying"), stage("post", "After the sale")),
        themes=themes or {}, defaults=Defaults(), owners=(),
    )
    tables = {"feedback": feedback, "tickets": tickets}
    return Workspace(path=Path("."), config=config,
                     tables={n: f for n, f in tables.items() if f is not None})


def reviews_frame(rows, stage_id="post"):
    """A feedback table: one review per row with its stars as CSAT (1–5)."""
    return pd.DataFrame({
        "customer_id": pd.array([f"c{i}" for i in range(len(rows))], dtype="string"),
        "date": pd.Timestamp("2026-03-02"),
        "stage": pd.array([stage_id] * len(rows), dtype="string"),
        "touchpoint": pd.array([None] * len(rows), dtype="string"),
        "comment": pd.array([r[2] for r in rows], dtype="string"),
        "csat": pd.array([r[1] for r in rows], dtype="Int64"),
        "nps": pd.array([pd.NA] * len(rows), dtype="Int64"),
    })


# --------------------------------------------------------------------------- language


def test_each_review_language_is_detected():
    assert detect_language(TEXTS).tolist() == LANGUAGE


def test_blank_and_too_short_texts_have_no_language():
    languages = detect_language(pd.Series(["", None, "Ok.", "   "], index=[5, 6, 7, 8]))
    assert list(languages.index) == [5, 6, 7, 8]
    assert languages.isna().all()


# --------------------------------------------------------------------------- sentiment


def test_the_portuguese_four_star_review_is_not_negative():
    scored = score_texts(["Produto correto, entregue no prazo, preço bom."])
    assert scored["language"].iloc[0] == "pt"
    assert scored["method"].iloc[0] == "leia"
    assert scored["sentiment"].iloc[0] > NEGATIVE  # VADER read "no" as English negation: −0.30


@pytest.mark.parametrize("language", ["pt", "en"])
def test_sentiment_ranks_one_star_below_five_stars(language):
    rows = [r for r in REVIEWS if r[0] == language]
    scored = score_texts([r[2] for r in rows])
    assert scored["sentiment"].notna().all()
    rho = stats.spearmanr([r[1] for r in rows], scored["sentiment"]).statistic
    assert rho >= 0.5
    one_star = scored["sentiment"][[r[1] == 1 for r in rows]].mean()
    five_star = scored["sentiment"][[r[1] == 5 for r in rows]].mean()
    assert one_star < NEGATIVE < five_star


@pytest.mark.parametrize("language", ["de", "nl"])
def test_a_language_without_a_method_gets_no_score_not_a_neutral_zero(language):
    texts = [r[2] for r in REVIEWS if r[0] == language]
    scored = score_texts(texts)
    assert scored["method"].isna().all()
    assert scored["sentiment"].isna().all()
    assert sentiment(texts).isna().all()


def test_texts_without_a_method_take_their_rating_and_say_so():
    scores = voice_scores(workspace(reviews_frame(REVIEWS)))
    assert scores["text"].tolist() == TEXTS
    assert scores["language"].tolist() == LANGUAGE
    expected = {"pt": "leia", "en": "vader", "de": "rating", "nl": "rating"}
    assert scores["method"].tolist() == [expected[code] for code in LANGUAGE]
    by_rating = scores["method"] == "rating"
    np.testing.assert_allclose(scores.loc[by_rating, "emotion"],
                               [(s - 3) / 2 for s, m in zip(STARS, by_rating) if m])
    assert scores.loc[by_rating, "sentiment"].isna().all()
    by_text = ~by_rating
    np.testing.assert_allclose(scores.loc[by_text, "emotion"], scores.loc[by_text, "sentiment"])
    # every review has a signal, and it ranks 1 star below 5 stars across the languages
    assert scores["emotion"].notna().all()
    assert stats.spearmanr(STARS, scores["emotion"]).statistic >= 0.5


def test_nps_stands_in_when_a_row_has_no_csat():
    frame = reviews_frame([("de", 1, "Die Lieferung kam viel zu spät."),
                           ("de", 5, "Sehr gute Beratung, gerne wieder.")])
    frame["csat"] = pd.array([pd.NA, pd.NA], dtype="Int64")
    frame["nps"] = pd.array([0, 10], dtype="Int64")
    scores = voice_scores(workspace(frame))
    assert scores["method"].tolist() == ["rating", "rating"]
    assert scores["emotion"].tolist() == [-1.0, 1.0]


def test_a_text_with_neither_method_nor_rating_is_unscored():
    tickets = pd.DataFrame({
        "ticket_id": pd.array(["t1", "t2"], dtype="string"),
        "opened": pd.Timestamp("2026-03-03"),
        "text": pd.array(["De fiets is nooit geleverd.", "Wo bleibt meine Bestellung?"],
                         dtype="string"),
        "touchpoint": pd.array([None, None], dtype="string"),
        "stage": pd.array(["buy", "buy"], dtype="string"),
    })
    ws = workspace(reviews_frame(REVIEWS[:3]), tickets=tickets)
    scores = voice_scores(ws)
    ticket_rows = scores[scores["source"] == "ticket"]
    assert ticket_rows["method"].tolist() == ["none", "none"]
    assert ticket_rows["emotion"].isna().all()


# --------------------------------------------------------------------------- emotion curve


def test_emotion_curve_says_per_stage_how_texts_were_scored():
    tickets = pd.DataFrame({
        "ticket_id": pd.array(["t1", "t2"], dtype="string"),
        "opened": pd.Timestamp("2026-03-03"),
        "text": pd.array(["De fiets is nooit geleverd.", "Wo bleibt meine Bestellung?"],
                         dtype="string"),
        "stage": pd.array(["buy", "buy"], dtype="string"),
    })
    ws = workspace(reviews_frame(REVIEWS), tickets=tickets)
    curve = emotion_curve(ws).set_index("stage")
    buy, post = curve.loc["buy"], curve.loc["post"]
    # "buy" has only Dutch and German tickets: nothing scored, so no sentiment at all
    assert buy["n_texts"] == 0 and buy["n_unscored"] == 2
    assert buy["methods"] == "none 2"
    assert math.isnan(buy["sentiment"])
    # "post": every review scored, the German and Dutch ones by their stars
    assert post["n_texts"] == len(REVIEWS) and post["n_unscored"] == 0
    assert post["methods"] == "vader 7, leia 11, rating 8"
    scores = voice_scores(ws)
    assert post["sentiment"] == pytest.approx(scores.loc[scores["about_stage"] == "post", "emotion"].mean())


def test_the_map_never_shows_unscored_texts_as_neutral(tmp_path):
    ws = chart_workspace(tmp_path, n_stages=3, n_touchpoints=3)
    curve = pd.DataFrame({
        "stage": ["s0", "s1", "s2"], "stage_name": ["a", "b", "c"],
        "n_texts": [10, 0, 40], "n_unscored": [0, 8, 2],
        "methods": ["vader 10", "none 8", "vader 28, rating 12, none 2"],
        "sentiment": [0.4, np.nan, -0.3], "sentiment_low": [0.2, np.nan, -0.5],
        "sentiment_high": [0.6, np.nan, -0.1], "n_csat": [12, 0, 50],
        "csat": [0.75, np.nan, 0.22], "csat_low": np.nan, "csat_high": np.nan,
        "workshop_emotion": [np.nan, np.nan, np.nan],
    })
    fig = journey_map(ws, emotion=curve)
    line = next(a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == "emotion-data")
    ys = np.asarray(line.get_ydata(), dtype=float)
    assert math.isnan(ys[1])  # no point at 0 for the stage whose texts could not be read
    text = all_text(fig)
    assert squash("Sentiment: 8 texts not scored") in text
    assert squash("Sentiment -0.30 (n 40, 12 by rating; 2 not scored)") in text.replace("−", "-")


# --------------------------------------------------------------------------- themes


def test_candidate_themes_fold_accents_and_drop_portuguese_stop_words():
    complaints = [
        ("pt", 1, "Não recebi o produto, que absurdo."),
        ("pt", 1, "Nao recebi meu pedido até hoje."),
        ("pt", 2, "Ainda não recebi a encomenda."),
        ("pt", 1, "Produto veio quebrado, péssima embalagem."),
        ("pt", 1, "Veio quebrado de novo, embalagem péssima."),
    ]
    analysis = voice_scores(workspace(reviews_frame(complaints)))
    assert (analysis["emotion"] <= NEGATIVE).all()
    themes = candidate_themes(analysis, top=5)
    phrases = themes.set_index("phrase")
    assert "não recebi" in phrases.index          # "Nao recebi" counted with "Não recebi"
    assert phrases.loc["não recebi", "n_texts"] == 3
    words = {w for p in themes["phrase"] for w in p.split()}
    assert not words & {"o", "que", "meu", "de", "a", "até"}


def test_candidate_themes_drop_german_and_dutch_stop_words_by_the_texts_language():
    complaints = [
        ("de", 1, "Die Lieferung kam viel zu spät und das Paket war nass."),
        ("de", 1, "Lieferung viel zu spät, das ist ärgerlich."),
        ("nl", 1, "De levering was veel te laat en de doos was kapot."),
        ("nl", 1, "Levering veel te laat, de doos kapot."),
    ]
    analysis = voice_scores(workspace(reviews_frame(complaints)))
    themes = candidate_themes(analysis, top=10)
    words = {w for p in themes["phrase"] for w in p.split()}
    assert {"lieferung", "kapot"} <= words  # one phrase per idea: "laat doos kapot"
    assert not words & {"die", "das", "und", "zu", "de", "te", "en", "was"}


def test_theme_keywords_match_accented_words_whatever_the_case():
    themes = {"not_received": {"keywords": ["não recebi", "entregue"], "stage": "post"}}
    frame = reviews_frame([("pt", 1, "NÃO RECEBI o produto."),
                           ("pt", 4, "Produto correto, entregue no prazo, preço bom.")],
                          stage_id=None)
    analysis = analyze_feedback(workspace(frame, themes=themes))
    assert analysis["theme"].tolist() == ["not_received", "not_received"]
    assert analysis["about_stage"].tolist() == ["post", "post"]


def test_the_report_definitions_say_how_sentiment_was_scored():
    definition = semantics().set_index("topic").loc["Sentiment", "definition"]
    for phrase in ("language is detected offline", "en: vader", "pt: leia", "no sentiment (not 0)",
                   "(csat - 3) / 2", "not scored"):
        assert phrase in definition


def test_keywords_written_without_accents_find_accented_words():
    themes = {"not_received": {"keywords": ["nao recebi"], "stage": "post"}}
    frame = reviews_frame([("pt", 1, "NÃO RECEBI o produto."), ("pt", 5, "Chegou rápido.")], stage_id=None)
    analysis = analyze_feedback(workspace(frame, themes=themes))
    assert analysis["theme"].tolist()[0] == "not_received"
    assert pd.isna(analysis["theme"].tolist()[1])
