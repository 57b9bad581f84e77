"""Type check with mypy: the strict set must be clean, the rest may only get better.

The strict set is the list of modules in pyproject.toml's `[[tool.mypy.overrides]]` that turn on
`disallow_untyped_defs`; any error there fails. Errors anywhere else are counted and compared with
the number in `mypy-baseline.txt`: more fails, fewer passes and asks for the lower number to be
written down (`make typecheck-baseline`), so the count only goes down.

    python scripts/typecheck.py                    # check
    python scripts/typecheck.py --write-baseline   # record today's count
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+(?::\d+)?: error: ")
SUMMARY = re.compile(r"^(Success: no issues found|Found \d+ errors? in \d+ files?) ", re.M)


def strict_patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = []
    for override in config["tool"]["mypy"].get("overrides", []):
        if override.get("disallow_untyped_defs"):
            modules = override["module"]
            patterns += [modules] if isinstance(modules, str) else modules
    return patterns


def module_of(path: str) -> str:
    parts = list(Path(path).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_strict(path: str, patterns: list[str]) -> bool:
    module = module_of(path)
    return any(fnmatchcase(module, pattern) for pattern in patterns)


def read_baseline() -> int | None:
    if not BASELINE.exists():
        return None
    for line in BASELINE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return int(line)
    return None


def write_baseline(count: int) -> None:
    BASELINE.write_text(
        "# mypy errors outside the strict set (scripts/typecheck.py). This number may only go down;\n"
        "# `make typecheck-baseline` writes it.\n"
        f"{count}\n",
        encoding="utf-8",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-baseline", action="store_true", help="record the current count outside the strict set")
    parser.add_argument("--show", action="store_true", help="print every error, not only those that fail the check")
    args = parser.parse_args()

    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # 2, or no summary line: mypy itself failed (bad configuration, a syntax error, Django not loading)
    if run.returncode not in (0, 1) or not SUMMARY.search(run.stdout):
        sys.stdout.write(run.stdout)
        sys.stderr.write(run.stderr)
        print(f"mypy failed to run (exit {run.returncode})", file=sys.stderr)
        return 2

    patterns = strict_patterns()
    strict: list[str] = []
    rest: list[str] = []
    for line in run.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            (strict if is_strict(match["path"], patterns) else rest).append(line)

    if args.show:
        print("\n".join(strict + rest))

    if args.write_baseline:
        write_baseline(len(rest))
        print(f"mypy-baseline.txt: {len(rest)} errors outside the strict set")
        if strict:
            print(f"(and {len(strict)} in the strict set, which must be fixed)")
        return 1 if strict else 0

    status = 0
    if strict:
        if not args.show:
            print("\n".join(strict))
        print(f"mypy: {len(strict)} errors in the strict set ({', '.join(patterns)}): fix them")
        status = 1

    baseline = read_baseline()
    by_file = Counter(ERROR.match(line)["path"] for line in rest)  # type: ignore[index]
    if baseline is None:
        print(f"mypy: {len(rest)} errors outside the strict set; no baseline yet: run `make typecheck-baseline`")
        status = 1
    elif len(rest) > baseline:
        if not args.show:
            print("\n".join(rest))
        print(f"mypy: {len(rest)} errors outside the strict set, more than the baseline's {baseline}: fix the new ones")
        print("most errors: " + ", ".join(f"{path} {n}" for path, n in by_file.most_common(5)))
        status = 1
    elif len(rest) < baseline:
        print(
            f"mypy: {len(rest)} errors outside the strict set, fewer than the baseline's {baseline}: "
            "well done; lower it with `make typecheck-baseline`"
        )
    else:
        print(f"mypy: strict set clean; {len(rest)} errors elsewhere, as in the baseline")
    return status


if __name__ == "__main__":
    sys.exit(main())
