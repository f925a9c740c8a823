"""Stop words of the languages customers here write in, and accent folding.

:data:`STOP_WORDS` holds short function-word lists (articles, pronouns, prepositions,
auxiliaries) for Portuguese, Spanish, German, Dutch and French, written for this kit.
Negations ("não", "nicht", "niet", "pas", "sin") are deliberately **not** stop words: in
complaints they carry the meaning ("não recebi", "niet geleverd"). English uses
:data:`journeykit.analytics.voice.themes.ENGLISH_STOP_WORDS`.

:func:`fold` compares words without accents or case, so "Não", "nao" and "NÃO" are one
word, in any Unicode normal form.

Example:
    >>> fold("Não ENTREGUÉ")
    'nao entregue'
    >>> "que" in STOP_WORDS["pt"], "não" in STOP_WORDS["pt"]
    (True, False)
"""

from __future__ import annotations

import unicodedata

__all__ = ["STOP_WORDS", "fold"]


def fold(text: str) -> str:
    """``text`` lower-cased (casefold) without accents: every combining mark removed after
    canonical decomposition ("ç" → "c", "é" → "e"); "ß" folds to "ss".

    Example:
        >>> fold("Preço Größe Ça")
        'preco grosse ca'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_LISTS = {
    "pt": """
        a à ao aos as às até com como da das de dela dele deles delas do dos e é ela elas ele
        eles em entre era eram essa essas esse esses esta estas este estes está estão estava
        eu foi foram fosse há isso isto já lhe lhes mais mas me meu meus minha minhas muito
        na nas no nos nós num numa o os ou para pela pelas pelo pelos por pra pro qual quando
        que quem se seja ser seu seus sua suas são só também te tem têm tenho ter teu tinha
        um uma umas uns você vocês vos
    """,
    "es": """
        a al algo algunos ante antes como con cual cuando de del desde donde durante e el
        ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto estos
        está están estaba fue ha han hasta hay he la las le les lo los me mi mis muy más nos
        nosotros o os otra otro para pero poco por porque que quien se sea ser si su sus
        también tan te tiene tu tus un una unas uno unos usted ustedes y ya yo
    """,
    "de": """
        aber alle als am an auch auf aus bei bin bis bist da damit dann das dass dem den der
        des die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem
        einen einer eines er es etwas euch für hab habe haben hat hatte hier ich ihm ihn
        ihr ihre im in ist ja jetzt man mein meine meinem meinen mich mir mit nach noch nur
        oder schon sehr sein seine sich sie sind so über um und uns unser unsere vom von vor
        war waren was weil wenn wie wir wird wurde wurden zu zum zur
    """,
    "nl": """
        aan al alles als bij ben dan dat de der deze die dit door een en er had heb hebben
        heeft het hier hij hoe hun ik in is je jij jullie kan maar me met mij mijn na naar
        nog nu of om omdat ons onze ook op over te tot u uit van veel voor was waren wat we
        wel werd werden wie wij word worden wordt zal ze zelf zij zijn zo zou
    """,
    "fr": """
        au aux avec avait ce ces cet cette dans de des du elle elles en est et été était
        eu il ils je la le les leur leurs lui ma mais me mes moi mon même nous on ont ou où
        par pour qu que qui sa se ses si son sont sur ta te tes toi ton tu un une vos votre
        vous y très
    """,
}

#: function words per language (ISO 639-1), each also under its accent-free spelling
STOP_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split()) | frozenset(fold(w) for w in words.split())
    for language, words in _LISTS.items()
}
