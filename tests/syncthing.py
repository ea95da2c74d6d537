"""A test harness: two real Syncthing instances on this one machine, each syncing one copy of a store.

THE NETWORK RULE. A sync engine started by a test talks to 127.0.0.1 and to nothing else: no discovery
servers, no relays, no NAT or STUN, no usage or crash reports, no upgrade checks, no LAN broadcasts. It is
enforced three times over:

1. Before an instance first starts, its config is generated (`syncthing generate`, which starts nothing)
   and rewritten by `configure`: one listen address `tcp://127.0.0.1:PORT`, the GUI/REST API on
   127.0.0.1:PORT with an API key, the peer device with its address written out as
   `tcp://127.0.0.1:PEERPORT` (never `dynamic`), global and local announce off, relays off, NAT and STUN
   off, usage reporting refused (urAccepted -1), crash reporting off, auto-upgrade off, no browser.
2. `start` parses the config back with `config_problems` and refuses (`NetworkRuleBroken`, naming every
   offending setting) to start an instance whose config is not so; no process is started then. It starts
   Syncthing with `STNODEFAULTFOLDER=1`, `STNOUPGRADE=1`, `STNORESTART=1` and without any proxy variable
   (Syncthing dials through `ALL_PROXY`, which would be an address other than 127.0.0.1).
3. While the instances run, `SocketWatch` reads `ss -tanp` and `ss -uanp` every few tenths of a second:
   any TCP socket of a Syncthing process (by pid, children included) with either end not on 127.0.0.1, or
   any UDP socket at all (discovery is UDP), is recorded and fails the test naming the address.

The harness itself talks to the REST API (X-API-Key) through an opener that ignores proxy settings.

The clock: CI's second run preloads libfaketime (FAKETIME=+400d) into everything. Syncthing 1.19 (Debian's
Go build) runs unchanged under it, so it keeps that environment; `drop_preload` is the switch should a
later build mind. The harness waits with time.sleep and subprocess timeouts only: under libfaketime a
timed wait on a lock (Event.wait, Thread.join with a timeout) never returns.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

SYNCTHING = shutil.which("syncthing")
SS = shutil.which("ss")
LOOPBACK = "127.0.0.1"
FOLDER_ID = "dacli-casefiles"

# What dacli's writers leave beside the records for a moment or for their own process: locks (`.lock` in
# every locked folder, `*.lock` beside the audit logs) and temp files (`dacli.store.fsio.TMP_PREFIX`).
# They belong to one computer and must never travel.
STIGNORE = """\
// dacli: locks and interrupted writes stay on this computer
.lock
*.lock
.tmp-*
"""

# Settings under <options> that must have exactly this value (the network rule).
REQUIRED_OPTIONS = {
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",
    "relaysEnabled": "false",
    "natEnabled": "false",
    "stunKeepaliveStartS": "0",  # STUN off as well (it is also off with NAT off)
    "urAccepted": "-1",
    "crashReportingEnabled": "false",
    "autoUpgradeIntervalH": "0",
    "startBrowser": "false",
}
# Settings `configure` also writes that the check does not insist on: a quick redial after a pause, and
# nothing to announce even if announcing were on.
FAST_OPTIONS = {
    "reconnectionIntervalS": "1",
    "announceLANAddresses": "false",
}
_LISTEN_RE = re.compile(r"^tcp://127\.0\.0\.1:(\d+)$")
_GUI_RE = re.compile(r"^(?:https?://)?127\.0\.0\.1:(\d+)$")
# Syncthing reads these from its environment: a proxy would be a second address to talk to.
_PROXY_VARS = {"all_proxy", "http_proxy", "https_proxy", "no_proxy", "ftp_proxy"}


class NetworkRuleBroken(RuntimeError):
    """A config, or a running instance, that would talk to an address other than 127.0.0.1."""


class SyncTimeout(RuntimeError):
    """Syncthing did not reach the awaited state in time."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _no_proxy_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def syncthing_env(drop_preload: bool = False) -> dict[str, str]:
    """The environment Syncthing is started with: ours, less proxies (and LD_PRELOAD if asked), plus the
    switches that keep it from making a default folder, upgrading itself or restarting."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    if drop_preload:
        env.pop("LD_PRELOAD", None)
    env.update({"STNODEFAULTFOLDER": "1", "STNOUPGRADE": "1", "STNORESTART": "1"})
    return env


# --- the config ------------------------------------------------------------------------------------------


def _child(parent: ET.Element, tag: str) -> ET.Element:
    found = parent.find(tag)
    return found if found is not None else ET.SubElement(parent, tag)


def _set(parent: ET.Element, tag: str, value: str) -> None:
    _child(parent, tag).text = value


def config_problems(config: Path) -> list[str]:
    """Every way ``config`` (a Syncthing config.xml) breaks the network rule, each naming its setting.

    Empty when the instance would listen, serve its API and dial on 127.0.0.1 only, with every kind of
    discovery, relaying, NAT traversal, reporting and upgrading off.
    """
    root = ET.parse(config).getroot()
    problems: list[str] = []
    options = root.find("options")
    if options is None:
        return ["<options> is missing"]
    listen = [(e.text or "").strip() for e in options.findall("listenAddress")]
    if not listen:
        problems.append("options/listenAddress is missing (Syncthing would listen on every interface)")
    problems += [
        f"options/listenAddress is {a!r}, not tcp://127.0.0.1:PORT" for a in listen if not _LISTEN_RE.match(a)
    ]
    for tag, wanted in REQUIRED_OPTIONS.items():
        got = options.findtext(tag)
        got = got.strip() if got is not None else None
        if got != wanted:
            problems.append(f"options/{tag} is {got!r}, must be {wanted!r}")
    gui = root.find("gui")
    if gui is None:
        problems.append("<gui> is missing")
    else:
        address = (gui.findtext("address") or "").strip()
        if not _GUI_RE.match(address):
            problems.append(f"gui/address is {address!r}, not 127.0.0.1:PORT")
        if not (gui.findtext("apikey") or "").strip():
            problems.append("gui/apikey is empty (the REST API must need a key)")
    for device in root.findall("device"):
        name = device.get("name") or device.get("id", "?")[:7]
        addresses = [(e.text or "").strip() for e in device.findall("address")]
        if not addresses:
            problems.append(f"device {name}: no address (Syncthing would look it up: dynamic)")
        problems += [
            f"device {name}: address {a!r}, not tcp://127.0.0.1:PORT"
            for a in addresses
            if not _LISTEN_RE.match(a)
        ]
    return problems


def require_loopback_only(config: Path) -> None:
    """Raise `NetworkRuleBroken` naming every offending setting unless ``config`` keeps to 127.0.0.1."""
    problems = config_problems(config)
    if problems:
        raise NetworkRuleBroken(f"refusing to start Syncthing with {config}: " + "; ".join(problems))


# --- one instance ----------------------------------------------------------------------------------------


@dataclass
class Instance:
    """One Syncthing: its home (config, keys, database, log) and the folder it syncs."""

    name: str
    home: Path
    folder: Path
    listen_port: int = field(default_factory=free_port)
    gui_port: int = field(default_factory=free_port)
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    device_id: str = ""
    proc: subprocess.Popen | None = None
    drop_preload: bool = False

    @property
    def config(self) -> Path:
        return self.home / "config.xml"

    @property
    def log(self) -> Path:
        return self.home / "syncthing.log"

    @property
    def listen_address(self) -> str:
        return f"tcp://{LOOPBACK}:{self.listen_port}"

    def generate(self) -> None:
        """Keys and a default config (`syncthing generate`: nothing is started, nothing listens)."""
        self.home.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            [SYNCTHING, "generate", "--home", str(self.home), "--no-default-folder", "--skip-port-probing"],
            env=syncthing_env(self.drop_preload),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        found = re.search(r"Device ID:\s*([A-Z0-9-]{63})", out.stdout + out.stderr)
        if not found:
            raise RuntimeError(f"syncthing generate printed no device id: {out.stdout}{out.stderr}")
        self.device_id = found.group(1)

    def configure(self, peer: Instance) -> None:
        """Rewrite the generated config to the network rule, with ``peer`` and the shared folder."""
        tree = ET.parse(self.config)
        root = tree.getroot()
        options = _child(root, "options")
        for old in options.findall("listenAddress"):
            options.remove(old)
        listen = ET.Element("listenAddress")
        listen.text = self.listen_address
        options.insert(0, listen)
        for tag, value in {**REQUIRED_OPTIONS, **FAST_OPTIONS}.items():
            _set(options, tag, value)
        gui = _child(root, "gui")
        gui.set("enabled", "true")
        gui.set("tls", "false")
        _set(gui, "address", f"{LOOPBACK}:{self.gui_port}")
        _set(gui, "apikey", self.api_key)
        for old in root.findall("device") + root.findall("folder"):
            root.remove(old)
        # Devices and the folder start from the generated <defaults>, so every setting not named here keeps
        # Syncthing's default (written by hand, a missing <maxConflicts> reads as 0: no conflict copies,
        # the losing side of a conflict silently dropped).
        defaults = root.find("defaults")
        for who in (self, peer):
            device = copy.deepcopy(defaults.find("device"))
            device.set("id", who.device_id)
            device.set("name", who.name)
            device.set("introducer", "false")
            for old in device.findall("address"):
                device.remove(old)
            # Our own entry too: no `dynamic` anywhere (Syncthing never dials itself).
            address = ET.Element("address")
            address.text = who.listen_address
            device.insert(0, address)
            _set(device, "paused", "false")
            _set(device, "autoAcceptFolders", "false")
            root.insert(0, device)
        folder = copy.deepcopy(defaults.find("folder"))
        folder.attrib.update(
            {
                "id": FOLDER_ID,
                "label": "dacli store",
                "path": str(self.folder),
                "type": "sendreceive",
                "rescanIntervalS": "5",
                "fsWatcherEnabled": "true",
                "fsWatcherDelayS": "1",
            }
        )
        for old in folder.findall("device"):
            folder.remove(old)
        for who in (self, peer):
            ET.SubElement(folder, "device", {"id": who.device_id, "introducedBy": ""})
        _set(folder, "markerName", ".stfolder")
        _set(folder, "maxConflicts", "10")  # Syncthing's default, said out loud: conflicts are kept
        root.insert(0, folder)
        tree.write(self.config, encoding="unicode")

    def prepare_folder(self) -> None:
        """The folder as a person sharing it would have it: Syncthing's marker and the ignore list."""
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / ".stfolder").mkdir(exist_ok=True)
        (self.folder / ".stignore").write_text(STIGNORE)

    def start(self, timeout: float = 30) -> None:
        """Check the config against the network rule (refusing to start if not), start, wait for the API."""
        require_loopback_only(self.config)
        gui = ET.parse(self.config).getroot().findtext("gui/address").strip()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    SYNCTHING, "serve", "--home", str(self.home), "--no-browser", "--no-restart",
                    "--no-upgrade", "--gui-address", f"http://{gui}", "--logflags", "3",
                ],
                env=syncthing_env(self.drop_preload),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.wait_for(lambda: self.get("/rest/system/ping").get("ping") == "pong", timeout, "its API")

    def stop(self) -> None:
        """Stop the process and its child (SIGTERM, then SIGKILL after 15 s). Safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        # The whole process group we started (`serve` runs a monitor process and Syncthing as its child).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the child has gone too
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def pids(self) -> set[int]:
        """The Syncthing process and any children it started."""
        if self.proc is None or self.proc.poll() is not None:
            return set()
        found, todo = set(), [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.add(pid)
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in children.read_text().split()]
        return found

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    # --- REST ---

    def _call(self, method: str, path: str, timeout: float = 30) -> dict:
        request = urllib.request.Request(
            f"http://{LOOPBACK}:{self.gui_port}{path}", method=method, headers={"X-API-Key": self.api_key}
        )
        with _no_proxy_opener().open(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body.strip() else {}

    def get(self, path: str) -> dict:
        return self._call("GET", path)

    def post(self, path: str) -> dict:
        return self._call("POST", path)

    def scan(self) -> None:
        """Rescan the folder now (returns when the scan is done)."""
        self.post(f"/rest/db/scan?folder={FOLDER_ID}")

    def status(self) -> dict:
        return self.get(f"/rest/db/status?folder={FOLDER_ID}")

    def completion(self, device: str) -> dict:
        return self.get(f"/rest/db/completion?folder={FOLDER_ID}&device={device}")

    def connected(self, device: str) -> bool:
        return bool(self.get("/rest/system/connections")["connections"].get(device, {}).get("connected"))

    def wait_for(self, ready: Callable[[], bool], timeout: float, what: str) -> float:
        """Poll ``ready`` until true; raise `SyncTimeout` (with the log's tail) after ``timeout`` seconds."""
        start = time.monotonic()
        while True:
            if self.proc is None or self.proc.poll() is not None:
                raise SyncTimeout(f"syncthing {self.name} is not running:\n{self.log_tail()}")
            with contextlib.suppress(OSError, urllib.error.URLError, ValueError, KeyError):
                if ready():
                    return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise SyncTimeout(
                    f"syncthing {self.name}: {what} not ready in {timeout} s:\n{self.log_tail()}"
                )
            time.sleep(0.2)


# --- the sockets ----------------------------------------------------------------------------------------


def _host(address: str) -> str:
    host = address.rsplit(":", 1)[0]
    host = host.strip("[]")
    return host.removeprefix("::ffff:")


def foreign_sockets(pids: set[int]) -> list[str]:
    """Sockets of ``pids`` that break the network rule, as ss shows them: a TCP socket with either end
    not on 127.0.0.1 (a listening socket's peer `*` aside), or any UDP socket."""
    if not pids:
        return []
    found = []
    for proto, flag in (("tcp", "-tanpH"), ("udp", "-uanpH")):
        out = subprocess.run([SS, flag], capture_output=True, text=True, timeout=10, check=True).stdout
        for line in out.splitlines():
            owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
            if not owners & pids:
                continue
            cols = line.split()
            state, local, peer = cols[0], cols[3], cols[4]
            if proto == "udp":
                found.append(f"udp socket {local} -> {peer} (no UDP at all: discovery is off)")
                continue
            if _host(local) != LOOPBACK:
                found.append(f"tcp {state} local address {local}")
            if not (state == "LISTEN" and peer.endswith(":*")) and _host(peer) != LOOPBACK:
                found.append(f"tcp {state} {local} -> peer address {peer}")
    return found


class SocketWatch:
    """Samples the instances' sockets with ss in a thread while they run; `check` fails on anything seen."""

    def __init__(self, instances: list[Instance], every: float = 0.3) -> None:
        self.instances = instances
        self.every = every
        self.seen: list[str] = []
        self.samples = 0
        # A flag and time.sleep, not an Event or a timed join: under libfaketime (the second CI run) a timed
        # wait on a lock never returns, while sleep and subprocess timeouts count real seconds.
        self._running = False
        self._thread = threading.Thread(target=self._run, name="ss-watch", daemon=True)

    def _pids(self) -> set[int]:
        return set().union(*(i.pids() for i in self.instances))

    def sample(self) -> None:
        for problem in foreign_sockets(self._pids()):
            if problem not in self.seen:
                self.seen.append(problem)
        self.samples += 1

    def _run(self) -> None:
        while self._running:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.sample()
            time.sleep(self.every)

    def __enter__(self) -> SocketWatch:
        if not self._running:
            self._running = True
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._running:
            self._running = False
            self._thread.join()  # within one sample and one sleep

    def check(self) -> None:
        """Sample once more now, then fail naming every address seen that was not 127.0.0.1."""
        self.sample()
        if self.seen:
            raise NetworkRuleBroken("a Syncthing process had a socket off 127.0.0.1: " + "; ".join(self.seen))


# --- the two offices ------------------------------------------------------------------------------------

_SKIP_NAMES = {".stfolder", ".stignore", ".stversions"}
# The .stignore patterns, and Syncthing's own temp files (a pull in progress, or one abandoned because the
# file changed under it: kept a day for reuse, never synced).
_IGNORED = re.compile(r"^(\.lock|.*\.lock|\.tmp-.*|\.syncthing\..*\.tmp|~syncthing~.*\.tmp)$")


def tree(folder: Path) -> dict[str, str]:
    """What a folder holds as Syncthing syncs it: relative path -> sha256 (or `dir`), ignored names left
    out."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if rel.parts[0] in _SKIP_NAMES or _IGNORED.match(path.name):
            continue
        with contextlib.suppress(FileNotFoundError):
            found[rel.as_posix()] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def conflict_copies(folder: Path) -> list[str]:
    """The `*.sync-conflict-*` files Syncthing made (the losing side of a file changed in both places)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.sync-conflict-*"))


class Pair:
    """Two instances sharing one folder with each other. Use as a context manager: on exit (also on a
    failure) both processes are stopped and the sockets are checked one last time."""

    def __init__(self, base: Path, folder_a: Path, folder_b: Path, drop_preload: bool = False) -> None:
        self.a = Instance("office-a", base / "st-a", folder_a, drop_preload=drop_preload)
        self.b = Instance("office-b", base / "st-b", folder_b, drop_preload=drop_preload)
        self.watch = SocketWatch([self.a, self.b])

    def setup(self) -> None:
        """Generate and configure both (nothing started)."""
        for one in (self.a, self.b):
            one.prepare_folder()
            one.generate()
        self.a.configure(self.b)
        self.b.configure(self.a)

    def start(self, timeout: float = 30) -> None:
        self.watch.__enter__()
        for one in (self.a, self.b):
            one.start(timeout)
        self.wait_connected(timeout)

    def stop(self) -> None:
        """Stop both, then the watch; the final socket sample is taken while they still run."""
        try:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.watch.sample()
        finally:
            self.watch.__exit__()
            self.a.stop()
            self.b.stop()

    def __enter__(self) -> Pair:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_connected(self, timeout: float = 30) -> float:
        start = time.monotonic()
        self.a.wait_for(lambda: self.a.connected(self.b.device_id), timeout, "the connection to office-b")
        self.b.wait_for(lambda: self.b.connected(self.a.device_id), timeout, "the connection to office-a")
        return time.monotonic() - start

    def pause(self, timeout: float = 30) -> None:
        """Pause the peer device on both sides and wait until they are no longer connected."""
        self.a.post(f"/rest/system/pause?device={self.b.device_id}")
        self.b.post(f"/rest/system/pause?device={self.a.device_id}")
        self.a.wait_for(lambda: not self.a.connected(self.b.device_id), timeout, "the pause")
        self.b.wait_for(lambda: not self.b.connected(self.a.device_id), timeout, "the pause")

    def resume(self, timeout: float = 90) -> float:
        """Resume both sides and wait until they are connected again. Generous: on a loaded machine the
        first hello after a resume can time out (Syncthing's own 20 s) before the next dial succeeds."""
        self.a.post(f"/rest/system/resume?device={self.b.device_id}")
        self.b.post(f"/rest/system/resume?device={self.a.device_id}")
        return self.wait_connected(timeout)

    def _settled(self) -> bool:
        for one, peer in ((self.a, self.b), (self.b, self.a)):
            status = one.status()
            if status.get("state") != "idle" or status.get("needTotalItems", 1) != 0:
                return False
            if status.get("pullErrors", 0):
                return False
            if one.completion(peer.device_id).get("completion") != 100:
                return False
        return tree(self.a.folder) == tree(self.b.folder)

    def wait_in_sync(self, timeout: float = 45) -> float:
        """Scan both folders, then wait until both are idle, need nothing, see the peer complete, and hold
        the same files (twice in a row). Returns the seconds it took; raises `SyncTimeout` with the
        difference."""
        start = time.monotonic()
        self.a.scan()
        self.b.scan()
        steady = 0
        while steady < 2:
            for one in (self.a, self.b):
                if one.proc is None or one.proc.poll() is not None:
                    raise SyncTimeout(f"syncthing {one.name} is not running:\n{one.log_tail()}")
            try:
                steady = steady + 1 if self._settled() else 0
            except (OSError, urllib.error.URLError, ValueError):
                steady = 0
            if time.monotonic() - start > timeout:
                ta, tb = tree(self.a.folder), tree(self.b.folder)
                only_a = sorted(set(ta) - set(tb))
                only_b = sorted(set(tb) - set(ta))
                differ = sorted(k for k in set(ta) & set(tb) if ta[k] != tb[k])
                raise SyncTimeout(
                    f"not in sync after {timeout} s: only in A {only_a}, only in B {only_b}, "
                    f"differ {differ}; "
                    f"A {self.a.status()}; B {self.b.status()}"
                )
            time.sleep(0.3)
        return time.monotonic() - start

    def conflicts(self) -> dict[str, list[str]]:
        return {"A": conflict_copies(self.a.folder), "B": conflict_copies(self.b.folder)}


@contextlib.contextmanager
def running_pair(base: Path, folder_a: Path, folder_b: Path, drop_preload: bool = False) -> Iterator[Pair]:
    """Set up and start a pair; stopped on the way out whatever happens."""
    pair = Pair(base, folder_a, folder_b, drop_preload)
    try:
        pair.setup()
        pair.start()
        yield pair
    finally:
        pair.stop()
