"""Sentiment scorers: the plug-in point and the VADER lexicon scorer (optional extra)."""

from __future__ import annotations

import importlib
import threading
from typing import Protocol, runtime_checkable

from socialcare.errors import ConfigurationError

__all__ = ["SentimentScorer", "VaderScorer"]


@runtime_checkable
class SentimentScorer(Protocol):
    """Scores how a text feels, from -1 (furious) to 1 (delighted); 0 is neutral.

    Contract: :meth:`score` is pure (the same text gives the same score, no I/O) and safe to
    call from several threads at once; it never raises for any ``str`` (an empty text is
    0). An escalation policy compares the score with its threshold: lower is more upset.
    """

    def score(self, text: str) -> float:
        """The polarity of ``text`` in [-1, 1]."""
        ...


class VaderScorer:
    """VADER's compound score (a lexicon and rules tuned on social media text).

    Needs the ``sentiment`` extra: ``pip install "socialcare[sentiment]"`` (vaderSentiment).
    The lexicon ships inside that package and is read once, when the scorer is made.

    Raises:
        ConfigurationError: vaderSentiment is not installed.
    """

    def __init__(self) -> None:
        try:
            module = importlib.import_module("vaderSentiment.vaderSentiment")
        except ImportError as exc:
            msg = (
                "sentiment scoring needs vaderSentiment: pip install 'socialcare[sentiment]', "
                "or give the policy a scorer of your own (a SentimentScorer)"
            )
            raise ConfigurationError(msg) from exc
        self._analyzer = module.SentimentIntensityAnalyzer()
        self._lock = threading.Lock()  # the analyzer keeps no state per call, but says nothing

    def score(self, text: str) -> float:
        """VADER's compound score of ``text``, in [-1, 1]."""
        with self._lock:
            scores = self._analyzer.polarity_scores(text)
        return float(scores["compound"])

    def __repr__(self) -> str:
        return "VaderScorer()"
