"""The outcome of grading: one CheckResult per check, gathered in a Report."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..assignment import BONUS, EXERCISES, MAX_SCORE, POINTS
from ..feedback.catalog import Msg, cut, render

# However much a submission makes its checks say (a result with a million keys, an exception
# message of megabytes), feedback is cut to these, saying how much was left out.
CHECK_CHARS = 2_000  # one check's feedback
REPORT_CHARS = 100_000  # all of a report's feedback and notes together
NOTES_SHOWN = 50  # notes of intake (files not graded) shown


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
    curves: list = field(default_factory=list)  # what checks.api.curve attached (public checks only)
    curve_files: list = field(default_factory=list)  # their pictures, once reports/curves.py drew them
    cause: str = ""  # where the failure comes from when not from this check's function (grading/causes.py)
    output: str = ""  # what the student's code printed while this check ran (its last PRINTED_CHARS)
    calls: list = field(default_factory=list, repr=False)  # (module, function) this check asked the worker to run

    @property
    def points(self) -> float:
        return self.max_points if self.status == "passed" else 0.0

    @property
    def bonus(self) -> bool:
        return self.exercise in BONUS

    def feedback_text(self, lang: str, limit: int = CHECK_CHARS) -> str:
        """The feedback in ``lang``, cleaned (catalog.render) and cut to ``limit`` characters."""
        text = " ".join(t.strip() for t in (render(m, lang) for m in self.feedback[:100]) if t.strip())
        text = text.replace(" :", ":").replace(" ：", "：")
        if lang == "zh":  # "提示: ..." as Chinese writes it
            label = render(Msg("label.hint"), lang)
            text = text.replace(label + ": ", label + "：").replace(label + ":", label + "：")
            named = self.feedback[0] if self.feedback else None
            if getattr(named, "key", None) == "label.named":  # "换一个种子后的 w：实际得到 ...", no space
                label = render(named, lang).strip()
                if text.startswith(label + " "):
                    text = label + text[len(label) + 1:]
        return cut(text, limit, lang)


@dataclass
class Report:
    results: list[CheckResult]
    isolation: str
    suite: str
    notes: list = field(default_factory=list)  # Msg: files ignored or rejected at intake
    seconds: float = 0.0
    exercises: tuple | None = None  # only these exercises were graded (./grade.sh ex04); None: all

    @property
    def max_score(self) -> float:
        """The handout's maximum (the bonus aside), or the graded exercises' when only some were."""
        if not self.exercises:
            return MAX_SCORE
        return sum(POINTS.get(ex, 0) for ex in self.exercises)

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
        """{exercise: (points, max_points)}; max follows the handout, bonus only when graded."""
        out = {}
        for ex in self.exercises or EXERCISES:
            mine = [r for r in self.results if r.exercise == ex]
            if ex in BONUS and not mine:
                continue
            out[ex] = (round(sum(r.points for r in mine), 4), POINTS.get(ex, BONUS.get(ex, 0)))
        return out

    def texts(self, lang: str = "en", notes: list | None = None) -> tuple[list[str], list[str]]:
        """(notes, feedback of each result): each check's cut to CHECK_CHARS, and all of them
        together to REPORT_CHARS; what is left out is counted where it would have been.
        ``notes``: these instead of the report's own (the console leaves out what it shows elsewhere)."""
        left = REPORT_CHARS
        all_notes = self.notes if notes is None else notes

        def budget(text: str) -> str:
            nonlocal left
            if len(text) > left:
                text = cut(text, left, lang) if left else render(Msg("cut.report", count=len(text)), lang)
            left = max(0, left - len(text))
            return text

        notes = [budget(cut(render(n, lang), CHECK_CHARS, lang)) for n in all_notes[:NOTES_SHOWN]]
        if len(all_notes) > NOTES_SHOWN:
            notes.append(render(Msg("cut.items", count=len(all_notes) - NOTES_SHOWN), lang))
        feedback = [budget(r.feedback_text(lang)) if r.status != "passed" else "" for r in self.results]
        return notes, feedback

    def to_json(self, lang: str = "en") -> dict:
        notes, feedback = self.texts(lang)
        return {
            "score": self.score,
            "max_score": self.max_score,
            "only": list(self.exercises or []),  # the exercises graded alone; [] when all were
            "bonus": self.bonus,
            "isolation": self.isolation,
            "suite": self.suite,
            "seconds": round(self.seconds, 3),
            "lang": lang,
            "notes": notes,
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
                    "feedback": text,
                    "seconds": round(r.seconds, 3),
                    "curves": list(r.curve_files),
                    **({"cause": r.cause} if r.cause else {}),
                    **({"printed": r.output} if r.output else {}),
                }
                for r, text in zip(self.results, feedback)
            ],
        }

