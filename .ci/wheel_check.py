"""Build the wheel, install it (not editable) into a fresh environment with the locked
versions, and hold a short conversation with ``homecoming chat`` from a folder that is not a
checkout: the catalogs, lexicons, example banks and country packs must come from the wheel.

    .venv/bin/python .ci/wheel_check.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UV = ROOT / ".tools" / "bin" / "uv"


def run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], check=True, text=True, **kwargs)  # type: ignore[call-overload]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="homecoming-wheel-") as tmp:
        work = Path(tmp)
        run(UV, "build", "--wheel", "--quiet", "--out-dir", work / "dist", cwd=ROOT)
        [wheel] = sorted((work / "dist").glob("homecoming-*.whl"))
        pinned = run(UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
                     "--quiet", cwd=ROOT, capture_output=True).stdout
        (work / "requirements.txt").write_text(pinned, encoding="utf-8")
        venv = work / "venv"
        run(UV, "venv", "--quiet", "--python", sys.executable, venv)
        python = venv / "bin" / "python"
        run(UV, "pip", "install", "--quiet", "--python", python, "-r",
            work / "requirements.txt", wheel)
        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
        answers = "Français\n1\n1\n1\nSénégal\n1\n14/03/2026\n1\n/quit\n"  # 1: the date is right
        chat = subprocess.run([venv / "bin" / "homecoming", "chat", "--db", work / "c.db"],
                              input=answers, capture_output=True, text=True, cwd=elsewhere,
                              env=env, timeout=300)
        out = chat.stdout
        wanted = ["Français", "] Español", "14 mars 2026", "Que voulez-vous faire ?", "Au revoir."]
        missing = [w for w in wanted if w not in out]
        if chat.returncode != 0 or missing or str(ROOT) in out:
            print(out, chat.stderr, sep="\n", file=sys.stderr)
            print(f"wheel check failed: exit {chat.returncode}, missing {missing}",
                  file=sys.stderr)
            return 1
        where = subprocess.run(
            [python, "-c", "from flows.l10n.i18n import DEFAULT_LOCALES_DIR as d; print(d)"],
            capture_output=True, text=True, cwd=elsewhere, check=True).stdout.strip()
        if not where.startswith(str(venv)):
            print(f"wheel check failed: catalogs read from {where}, not the wheel",
                  file=sys.stderr)
            return 1
        print(f"wheel check: {wheel.name} installed and chatted in French from {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
