"""The machine record and the start-up threading choice: PASSIVE OpenMP threads when the machine is
busy (a real spinning process here), OpenMP's default when idle, never over a value the user set."""

import subprocess
import sys
import time

import pytest

from fastk.common import environment


@pytest.fixture
def spinner():
    """Another process that keeps one core busy (what a second job on the machine does)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)
    yield proc
    proc.kill()
    proc.wait()


def test_a_busy_core_is_seen(spinner):
    busy = environment.busy_cores(seconds=0.5)
    assert busy is not None and busy >= 0.7  # one spinning process is one core, whatever else runs


def test_busy_machine_gets_passive_threads_and_the_choice_is_recorded(spinner, monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(environment, "THREAD_POLICY", {})
    assert environment.configure_threads() == {"OMP_WAIT_POLICY": "PASSIVE"}
    assert environment.THREAD_POLICY["busy_cores"] >= 0.5
    assert "busy" in environment.THREAD_POLICY["decision"]
    assert environment.environment_record()["thread_policy"]["decision"].endswith("OMP_WAIT_POLICY=PASSIVE")


def test_an_idle_machine_keeps_openmp_defaults(monkeypatch):
    """The rule (the load is given: an idle machine cannot be promised inside a test run)."""
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setattr(environment, "THREAD_POLICY", {})
    monkeypatch.setattr(environment, "busy_cores", lambda seconds=0.15: 0.1)
    assert environment.configure_threads() == {}
    assert "OMP_WAIT_POLICY" not in __import__("os").environ
    assert environment.THREAD_POLICY["decision"].startswith("machine idle")


def test_the_users_value_is_kept(monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.setattr(environment, "THREAD_POLICY", {})
    assert environment.configure_threads(adaptive=False) == {}
    assert environment.THREAD_POLICY["decision"] == "set by the user"
