"""The keepers (autograder/engine/warm.py; python -m autograder --keeper MINUTES) that a benchmark's runs
leave, ended at its end."""
from __future__ import annotations


def end_keepers(tmpdir: str) -> None:
    """End the keepers started with TMPDIR=tmpdir, and their workers."""
    import psutil

    for p in psutil.process_iter(["cmdline"]):
        try:
            cmdline = p.info["cmdline"] or []
            if "--keeper" in cmdline and "autograder" in cmdline and p.environ().get("TMPDIR") == tmpdir:
                for q in [*p.children(recursive=True), p]:
                    q.kill()
        except psutil.Error:
            pass
