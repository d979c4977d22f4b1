"""The outcome of grading: one CheckResult per check, gathered in a Report."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..assignment import BONUS, EXERCISES, MAX_SCORE, POINTS
from ..feedback.catalog import Msg, render

STATUSES = ("passed", "failed", "error", "timeout")


@dataclass
class CheckResult:
    name: str
    exercise: str
    function: str
    max_points: float
    title: dict
    status: str = "error"
    feedback: list = field(default_factory=list)  # Msg or str, rendered per language
    hidden: bool = False
    seconds: float = 0.0  # wall time of the check, setup to teardown

    @property
    def points(self) -> float:
        return self.max_points if self.status == "passed" else 0.0

    @property
    def bonus(self) -> bool:
        return self.exercise in BONUS

    def feedback_text(self, lang: str) -> str:
        text = " ".join(t.strip() for t in (render(m, lang) for m in self.feedback) if t.strip())
        return text.replace(" :", ":").replace(" ：", "：")


@dataclass
class Report:
    results: list[CheckResult]
    isolation: str
    suite: str
    notes: list = field(default_factory=list)  # Msg: files ignored or rejected at intake
    seconds: float = 0.0

    @property
    def base_score(self) -> float:
        return round(sum(r.points for r in self.results if not r.bonus), 4)

    @property
    def bonus(self) -> float:
        return round(sum(r.points for r in self.results if r.bonus), 4)

    @property
    def score(self) -> float:
        return round(self.base_score + self.bonus, 4)

    def by_exercise(self) -> dict[str, tuple[float, float]]:
        """{exercise: (points, max_points)}; max follows SPEC.md, bonus only when graded."""
        out = {}
        for ex in EXERCISES:
            mine = [r for r in self.results if r.exercise == ex]
            if ex in BONUS and not mine:
                continue
            out[ex] = (round(sum(r.points for r in mine), 4), POINTS.get(ex, BONUS.get(ex, 0)))
        return out

    def to_json(self, lang: str = "en") -> dict:
        return {
            "score": self.score,
            "max_score": MAX_SCORE,
            "bonus": self.bonus,
            "isolation": self.isolation,
            "suite": self.suite,
            "seconds": round(self.seconds, 3),
            "lang": lang,
            "notes": [render(n, lang) for n in self.notes],
            "exercises": {ex: {"score": s, "max_score": m} for ex, (s, m) in self.by_exercise().items()},
            "tests": [
                {
                    "name": r.name,
                    "title": r.title.get(lang) or r.title.get("en", r.name),
                    "exercise": r.exercise,
                    "function": r.function,
                    "points": r.points,
                    "max_points": r.max_points,
                    "status": r.status,
                    "feedback": r.feedback_text(lang),
                    "seconds": round(r.seconds, 3),
                }
                for r in self.results
            ],
        }


def note(key: str, **params) -> Msg:
    return Msg(key, **params)
