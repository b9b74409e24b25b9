"""Check the app as users get it: build the wheel, install it (not editable) into a fresh
venv, start `alpaca-tui --demo` there in a pseudo-terminal, from a directory outside the
repository, and wait for the demo's panes.

    python3 scripts/check_wheel.py [--keep]

Fails, with the screen as drawn and the end of the output (a traceback, say), when:
- the wheel lacks a file the app reads (tui/ui/app.tcss);
- the installed app does not show `Positions (6)`, `Orders (3)` and `Equity` within 60 s;
- it does not exit after `q`;
- the wheel or the installed app pulls in a test-only package (pytest, hypothesis, pyte).

No dependency beyond the standard library: the terminal is emulated here (cursor moves
and text; colours and modes ignored), so nothing but the wheel's own requirements goes
into the venv under test. Takes about 30 s on cached wheels.
"""

from __future__ import annotations

import argparse
import ast
import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLUMNS, ROWS = 100, 30
START_TIMEOUT = 60.0
QUIT_TIMEOUT = 15.0
EXPECTED = ("Positions (6)", "Orders (3)", "Equity")
REQUIRED_IN_WHEEL = ("tui/ui/app.tcss",)
TEST_ONLY = ("pytest", "hypothesis", "pyte", "_pytest")


class CheckFailed(Exception):
    pass


def step(message: str) -> None:
    print(f"check_wheel: {message}", flush=True)


def run(command: list[str], **kwargs) -> str:
    """Run a command; on failure raise with its output (pip's noise is kept out otherwise)."""
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if done.returncode != 0:
        raise CheckFailed(f"{' '.join(map(str, command))} exited with {done.returncode}:\n{done.stdout}")
    return done.stdout


# -- the wheel ------------------------------------------------------------------------------------

def copy_sources(target: Path) -> None:
    """The files git knows (tracked, or new and not ignored), so that building does not
    write build/ and *.egg-info into the working tree, and a stray local file cannot end
    up in the wheel."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, check=True, stdout=subprocess.PIPE).stdout
        names = [name for name in listed.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = []
    if not names:  # not a git checkout: everything but the usual litter
        shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "node_modules"))
        return
    for name in names:
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def build_wheel(work: Path) -> Path:
    source, dist = work / "src", work / "dist"
    source.mkdir()
    copy_sources(source)
    log = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
               "-v", "-w", str(dist), str(source)])
    warnings = [line.strip() for line in log.splitlines()
                if re.search(r"(SetuptoolsDeprecationWarning|BuildBackendWarning|SetuptoolsWarning)", line)]
    if warnings:
        raise CheckFailed("the build printed setuptools warnings:\n  " + "\n  ".join(warnings))
    wheels = sorted(dist.glob("*.whl"))
    if len(wheels) != 1:
        raise CheckFailed(f"expected one wheel in {dist}, found {[w.name for w in wheels]}")
    return wheels[0]


def check_wheel_contents(wheel: Path) -> list[str]:
    """The files of REQUIRED_IN_WHEEL that the wheel lacks."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        missing = [name for name in REQUIRED_IN_WHEEL if name not in names]
        # The app's own modules must not import test-only packages, even lazily.
        offenders = []
        for name in sorted(n for n in names if n.endswith(".py")):
            tree = ast.parse(archive.read(name), filename=name)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                offenders += [f"{name}:{node.lineno} imports {m}" for m in modules
                              if m.split(".")[0] in TEST_ONLY]
        if offenders:
            raise CheckFailed("the app imports test-only packages:\n  " + "\n  ".join(offenders))
    return missing


# -- the venv -------------------------------------------------------------------------------------

def make_venv(work: Path, wheel: Path) -> Path:
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    # As pipx and uv do: the wheel itself, not editable, with its dependencies from the index.
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         str(wheel)])
    return venv


def check_no_test_packages(venv: Path, outside: Path) -> None:
    """The venv has none of the test-only packages, and importing every module of the
    installed package (as the app did, or may later) loads none of them."""
    probe = f"""
import importlib, importlib.metadata as md, pkgutil, sys
TEST_ONLY = {TEST_ONLY!r}
installed = []
for name in ("pytest", "hypothesis", "pyte"):
    try:
        md.distribution(name)
        installed.append(name)
    except md.PackageNotFoundError:
        pass
import tui
if not tui.__file__.startswith(sys.prefix):
    sys.exit(f"tui imported from {{tui.__file__}}, not from the venv {{sys.prefix}}")
for info in pkgutil.walk_packages(tui.__path__, "tui."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in TEST_ONLY)
if installed or loaded:
    sys.exit(f"test-only packages installed: {{installed}}; imported by the app's modules: {{loaded}}")
print(f"{{len([m for m in sys.modules if m.startswith('tui')])}} tui modules import without them")
"""
    result = run([str(venv / "bin" / "python"), "-c", probe], cwd=outside, env=clean_env(outside))
    step(result.strip())


# -- the terminal ---------------------------------------------------------------------------------

ESCAPE = re.compile(
    r"\x1b\[([0-9;:?<=>!]*)[ -/]*([@-~])"     # CSI: parameters, final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"     # OSC, ended by BEL or ST
    r"|\x1bP[^\x1b]*\x1b\\"                   # DCS
    r"|\x1b[()*+][0-9A-Za-z]"                 # character set designation
    r"|\x1b(?![\[\]P])[ -/]*[0-~]"              # any other escape (not an unfinished one above)
)


class Screen:
    """Just enough of a terminal to read text off it: cursor positioning, line and screen
    erasure, carriage return and line feed. Everything else (colours, modes) is ignored."""

    def __init__(self, columns: int, rows: int) -> None:
        self.columns, self.rows = columns, rows
        self.clear()
        self.row = self.column = 0
        self._pending = ""

    def clear(self) -> None:
        self.cells = [[" "] * self.columns for _ in range(self.rows)]

    def feed(self, text: str) -> None:
        text = self._pending + text
        # An escape sequence cut at the end of this read is kept for the next one.
        cut = text.rfind("\x1b")
        if cut != -1 and not ESCAPE.match(text, cut) and len(text) - cut < 4096:
            text, self._pending = text[:cut], text[cut:]
        else:
            self._pending = ""
        position = 0
        for match in ESCAPE.finditer(text):
            self._write(text[position:match.start()])
            if match.group(2):
                self._control(match.group(1), match.group(2))
            position = match.end()
        self._write(text[position:])

    def _control(self, parameters: str, final: str) -> None:
        if parameters.startswith(("?", ">", "<", "=")):
            return  # private modes: alternate screen, mouse, synchronised output...
        numbers = [int(p) if p.isdigit() else 0 for p in parameters.replace(":", ";").split(";")]
        first = numbers[0] if numbers else 0
        if final in "Hf":
            row = numbers[0] if numbers and numbers[0] else 1
            column = numbers[1] if len(numbers) > 1 and numbers[1] else 1
            self.row, self.column = min(row, self.rows) - 1, min(column, self.columns) - 1
        elif final == "G":
            self.column = min(max(first, 1), self.columns) - 1
        elif final == "d":
            self.row = min(max(first, 1), self.rows) - 1
        elif final == "A":
            self.row = max(self.row - max(first, 1), 0)
        elif final == "B":
            self.row = min(self.row + max(first, 1), self.rows - 1)
        elif final == "C":
            self.column = min(self.column + max(first, 1), self.columns - 1)
        elif final == "D":
            self.column = max(self.column - max(first, 1), 0)
        elif final == "J" and first == 2:
            self.clear()
        elif final == "K":
            line = self.cells[self.row]
            span = range(self.column, self.columns) if first == 0 else (
                range(0, self.column + 1) if first == 1 else range(self.columns))
            for column in span:
                line[column] = " "

    def _write(self, text: str) -> None:
        for char in text:
            if char == "\r":
                self.column = 0
            elif char == "\n":
                self.row = min(self.row + 1, self.rows - 1)
            elif char == "\b":
                self.column = max(self.column - 1, 0)
            elif char >= " " and char != "\x7f":
                if self.column >= self.columns:
                    self.column = 0
                    self.row = min(self.row + 1, self.rows - 1)
                self.cells[self.row][self.column] = char
                self.column += 1

    def text(self) -> str:
        return "\n".join("".join(line).rstrip() for line in self.cells)


def plain(output: str) -> str:
    """The output with every escape sequence removed: for tracebacks printed after the app
    left the alternate screen."""
    return ESCAPE.sub("", output).replace("\r\n", "\n").replace("\r", "\n")


def clean_env(outside: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALPACA_", "PYTHON", "VIRTUAL_ENV", "TEXTUAL")) and k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    # The audit journal and any other per-user file go to the check's temporary directory.
    env["HOME"] = str(outside)
    env["XDG_DATA_HOME"] = str(outside / "data")
    env["XDG_CONFIG_HOME"] = str(outside / "config")
    return env


def start_demo(venv: Path, outside: Path) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))

    def controlling_terminal() -> None:  # runs in the child, after setsid
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    started = time.monotonic()
    process = subprocess.Popen([str(venv / "bin" / "alpaca-tui"), "--demo"], cwd=outside, env=clean_env(outside),
                               stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                               preexec_fn=controlling_terminal, close_fds=True)
    os.close(slave)
    screen, raw = Screen(COLUMNS, ROWS), []

    quitting = False

    def read(until: float) -> bool:
        """Read what the app draws until `until` (monotonic); False once the pty is closed."""
        while (left := until - time.monotonic()) > 0:
            ready, _, _ = select.select([master], [], [], min(left, 0.2))
            if not ready:
                return True
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has exited
                return False
            if not chunk:
                return False
            text = chunk.decode("utf-8", "replace")
            raw.append(text)
            screen.feed(text)
            if not quitting and all(word in screen.text() for word in EXPECTED):
                return True
        return True

    def report(reason: str) -> CheckFailed:
        output = plain("".join(raw))
        # The exception's own line (Rich prints it last, after the frames), else any mention.
        lines = output.splitlines()
        errors = ([line.strip() for line in lines if re.match(r"\s*[\w.]+(Error|Exception)\b.*:", line)][-1:]
                  or [line.strip() for line in lines if re.search(r"\w(Error|Exception)\b", line)][:1])
        tail = "\n".join(output.strip().splitlines()[-40:])
        return CheckFailed(f"{reason}\n"
                           + (f"error: {errors[0]}\n" if errors else "")
                           + f"--- the screen ({COLUMNS}x{ROWS}) ---\n{screen.text()}\n"
                           + f"--- the end of the output, escapes removed ---\n{tail}")

    try:
        deadline = started + START_TIMEOUT
        while time.monotonic() < deadline:
            alive = read(min(deadline, time.monotonic() + 1))
            if all(word in screen.text() for word in EXPECTED):
                break
            if not alive or process.poll() is not None:
                process.wait(timeout=5)
                raise report(f"the installed app exited with status {process.returncode} "
                             "before showing the demo's panes")
        else:
            raise report(f"the demo's panes ({', '.join(EXPECTED)}) did not show within {START_TIMEOUT:.0f} s")
        step(f"the installed app shows the demo's panes after {time.monotonic() - started:.1f} s:")
        quitting = True  # no more stopping at the panes: a second more, for a settled screen to show
        read(time.monotonic() + 1)
        print(screen.text().rstrip(), flush=True)

        os.write(master, b"q")
        quit_at = time.monotonic()
        read(quit_at + QUIT_TIMEOUT)  # drain until the terminal closes (or the time is up)
        try:
            code = process.wait(timeout=max(0.1, quit_at + QUIT_TIMEOUT - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise report(f"the app did not exit within {QUIT_TIMEOUT:.0f} s of q") from None
        if code != 0:
            raise report(f"the app exited with status {code} after q")
        step(f"q: the app exited with status 0 in {time.monotonic() - quit_at:.1f} s")
    finally:
        try:  # the app, and the demo's simulator child, if either is still there
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        os.close(master)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (printed)")
    args = parser.parse_args()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="alpaca-tui-wheel-"))
    outside = work / "run"  # no tui/ here, nor on the way up: only the installed copy can load
    outside.mkdir()
    try:
        wheel = build_wheel(work)
        missing = check_wheel_contents(wheel)
        lacks = (f"{wheel.name} lacks {', '.join(missing)} "
                 "(see [tool.setuptools.package-data] in pyproject.toml)")
        if missing:  # the app is still started: what it then does is what users would see
            step(f"FAILS: {lacks}")
        else:
            step(f"built {wheel.name}: has {', '.join(REQUIRED_IN_WHEEL)}, no setuptools warnings, "
                 "imports no test-only package")
        venv = make_venv(work, wheel)
        step(f"installed it into a fresh venv ({time.monotonic() - started:.0f} s so far)")
        check_no_test_packages(venv, outside)
        try:
            start_demo(venv, outside)
        except CheckFailed as failure:
            raise CheckFailed(f"{lacks}\n{failure}" if missing else str(failure)) from None
        if missing:
            raise CheckFailed(lacks)
    except CheckFailed as failure:
        print(f"check_wheel: FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    finally:
        if args.keep:
            step(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    step(f"passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
