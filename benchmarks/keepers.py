"""The keepers (autograder/engine/warm.py) that a benchmark's runs leave, ended at its end."""
from __future__ import annotations


def end_keepers(tmpdir: str) -> None:
    """End the keepers started with TMPDIR=tmpdir, and their workers."""
    import psutil

    for p in psutil.process_iter(["cmdline"]):
        try:
            if "autograder.engine.warm" in " ".join(p.info["cmdline"] or []) and p.environ().get("TMPDIR") == tmpdir:
                for q in [*p.children(recursive=True), p]:
                    q.kill()
        except psutil.Error:
            pass
