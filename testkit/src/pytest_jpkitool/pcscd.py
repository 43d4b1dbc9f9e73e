"""A private pcscd with the vpcd reader driver, for tests and recordings.

pcscd 1.9.9 always serves ``/run/pcscd/pcscd.comm``. To leave any system pcscd
alone, the instance runs in its own mount namespace with a temporary directory
bound over ``/run/pcscd``; clients reach it with ``PCSCLITE_CSOCK_NAME``. Note
that libpcsclite reads that variable once per process (it caches the socket
name), so a process talks to one pcscd for its whole life.

Where namespaces are not available (not root, no user namespaces) it refuses to
start: a test must never reach, or stop, a pcscd it did not start.

Standard library only at import time (``apdu.pcsc``, hence pyscard, is imported
when a card is first waited for).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"


class HarnessError(RuntimeError):
    """The test pcscd could not be started."""


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A TCP port P such that P and P+1 are free (vpcd's two slots)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < 65535 and _port_free(port) and _port_free(port + 1):
            return port
    raise HarnessError("no free pair of TCP ports")


def _socket_alive(path: Path) -> bool:
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def namespaces_available() -> bool:
    """Whether ``unshare -m`` with a bind mount works here."""
    if shutil.which("unshare") is None:
        return False
    probe = tempfile.mkdtemp(prefix="jpkitool-ns-")
    try:
        cmd = [*_ns_prefix(), "sh", "-c", f"mount --bind {probe} {probe}"]
        return subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        os.rmdir(probe)


def _ns_prefix() -> list[str]:
    return ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-r", "-m"]


class PcscdInstance:
    """One pcscd; ``readers=False`` gives a pcscd with no reader at all.

    Its socket, configuration and log live in a temporary folder (or ``sockdir``):
    :meth:`close` stops pcscd and removes the folder it made, unless asked to keep it
    (the log of a failed test); ``with`` keeps it only when the block raised.
    """

    def __init__(self, *, readers: bool = True, sockdir: str | None = None) -> None:
        self.readers = readers
        self._made_dir = sockdir is None
        self.dir = Path(sockdir or tempfile.mkdtemp(prefix="jpkitool-pcscd-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port_pair() if readers else 0
        self.socket = self.dir / "pcscd.comm"
        self.log = self.dir / "pcscd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """Environment for a client process of this pcscd."""
        return {"PCSCLITE_CSOCK_NAME": str(self.socket)}

    def reader_name(self, slot: int = 0) -> str:
        return f"Virtual PCD 00 {slot:02d}"

    def _conf(self) -> Path:
        conf = self.dir / "reader.conf"
        if self.readers:
            conf.write_text(
                'FRIENDLYNAME "Virtual PCD"\n'
                f"DEVICENAME /dev/null:{self.port}\n"
                f"LIBPATH {VPCD_DRIVER}\n"
                f"CHANNELID {self.port}\n"
            )
        else:
            conf.write_text("# no readers\n")
        return conf

    def start(self, timeout: float = 15.0) -> PcscdInstance:
        if shutil.which("pcscd") is None:
            raise HarnessError("pcscd is not installed (apt install pcscd)")
        if self.readers and not Path(VPCD_DRIVER).exists():
            raise HarnessError("the vpcd driver is missing (apt install vsmartcard-vpcd)")
        if not namespaces_available():
            raise HarnessError("cannot start a private pcscd: no mount namespace here")
        conf = self._conf()
        script = (
            f"mkdir -p /run/pcscd && mount --bind {self.dir} /run/pcscd && exec pcscd -f -c {conf}"
        )
        cmd = [*_ns_prefix(), "sh", "-c", script]
        logf = self.log.open("wb")
        self.proc = subprocess.Popen(
            cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(f"pcscd exited with {self.proc.returncode}: {self.tail()}")
            if _socket_alive(self.socket) and (not self.readers or _listening(self.port)):
                return self
            time.sleep(0.05)
        self.stop()
        raise HarnessError(f"pcscd did not become ready in {timeout} s: {self.tail()}")

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _card_present(self, slot: int) -> bool:
        from apdu import pcsc

        name = self.reader_name(slot)
        return any(s.name == name and s.card_present for s in pcsc.reader_states())

    def wait_for_card(self, slot: int = 0, timeout: float = 10.0) -> str:
        """Wait until pcscd sees a card in ``slot`` (in-process client); return the reader."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._card_present(slot):
                return self.reader_name(slot)
            time.sleep(0.02)
        raise HarnessError(f"no card seen in {self.reader_name(slot)}: {self.tail()}")

    def wait_for_no_card(self, slot: int = 0, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._card_present(slot):
                return
            time.sleep(0.02)
        raise HarnessError(f"card still present in {self.reader_name(slot)}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def close(self, keep: bool = False) -> None:
        """Stop pcscd; remove the folder this instance made unless ``keep``."""
        self.stop()
        if self._made_dir and not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PcscdInstance:
        self.start()
        os.environ.update(self.env)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(keep=exc_type is not None)


@contextlib.contextmanager
def another_pcscd(*, readers: bool = True) -> Iterator[PcscdInstance]:
    """A further pcscd, started, for one block: closed at the end, its folder kept
    only when the block raised. Unlike ``with PcscdInstance()``, this process's
    environment is left alone (it keeps talking to the first pcscd)."""
    instance = PcscdInstance(readers=readers)
    try:
        instance.start()
        yield instance
    except BaseException:
        instance.close(keep=True)
        raise
    instance.close()
