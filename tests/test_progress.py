"""helpers.progress: the switch (argument, then MNIST_OIP_PROGRESS, then kernel or terminal) and bars that
erase themselves."""

import io
import sys
import types

import pytest

from helpers import progress


class _Stream(io.StringIO):
    """A captured stderr that says whether it is a terminal."""

    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture
def stderr(monkeypatch):
    """Replace sys.stderr by a non-terminal stream without a kernel loaded; returns a function that sets both."""

    def use(tty: bool = False, kernel: bool = False) -> _Stream:
        stream = _Stream(tty)
        monkeypatch.setattr(sys, "stderr", stream)
        if kernel:
            monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
        else:
            monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
        return stream

    return use


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_the_switch_off_wins_over_a_terminal_and_a_kernel(monkeypatch, stderr, value):
    monkeypatch.setenv(progress.PROGRESS_ENV, value)
    stderr(tty=True, kernel=True)
    assert progress.enabled() is False


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_the_switch_on_shows_bars_in_a_log(monkeypatch, stderr, value):
    monkeypatch.setenv(progress.PROGRESS_ENV, value)
    stderr(tty=False, kernel=False)
    assert progress.enabled() is True


@pytest.mark.parametrize("tty, kernel, expected", [(False, False, False), (True, False, True), (False, True, True)])
def test_without_the_switch_bars_show_in_a_terminal_or_a_kernel_only(monkeypatch, stderr, tty, kernel, expected):
    monkeypatch.delenv(progress.PROGRESS_ENV, raising=False)
    stderr(tty=tty, kernel=kernel)
    assert progress.enabled() is expected
    monkeypatch.setenv(progress.PROGRESS_ENV, "maybe")  # an unknown value means automatic
    assert progress.enabled() is expected


def test_an_explicit_request_overrides_the_switch(monkeypatch, stderr):
    stderr(tty=True, kernel=True)
    monkeypatch.setenv(progress.PROGRESS_ENV, "1")
    assert progress.enabled(False) is False
    monkeypatch.setenv(progress.PROGRESS_ENV, "0")
    assert progress.enabled(True) is True
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        progress.enabled("no")


def test_switched_off_a_bar_writes_nothing(monkeypatch, stderr):
    monkeypatch.setenv(progress.PROGRESS_ENV, "0")
    stream = stderr(tty=True, kernel=True)
    with progress.bar(5, "scan") as b:
        b.update(5)
    assert stream.getvalue() == ""


def test_a_finished_bar_erases_itself(monkeypatch, stderr):
    monkeypatch.setenv(progress.PROGRESS_ENV, "1")
    stream = stderr()
    with progress.bar(4, "scan", unit="map") as b:
        b.update(4)
    text = stream.getvalue()
    assert "scan" in text and "map" in text
    assert text.rsplit("\r", 1)[-1].strip() == "" and text.endswith("\r")  # what a terminal shows at the end
    assert "4/4" in text or "0/4" in text


def test_the_training_bar_counts_every_batch_of_every_epoch(monkeypatch, stderr):
    monkeypatch.setenv(progress.PROGRESS_ENV, "1")
    stream = stderr()
    callback = progress.keras_callback(epochs=3, steps_per_epoch=5)
    callback.on_train_begin()
    assert callback.bar.total == 15 and callback.bar.desc.startswith("training, epoch 1/3")
    for epoch in range(3):
        callback.on_epoch_begin(epoch)
        for batch in range(5):
            callback.on_train_batch_end(batch)
        assert callback.bar.desc.startswith(f"training, epoch {epoch + 1}/3")
    assert callback.bar.n == 15
    callback.on_train_end()
    text = stream.getvalue()
    assert "training, epoch 1/3" in text and text.rsplit("\r", 1)[-1].strip() == ""
    assert text.endswith("\r")  # closed: erased, as every finished bar


def test_the_training_bar_follows_the_switch(monkeypatch, stderr):
    monkeypatch.setenv(progress.PROGRESS_ENV, "0")
    stream = stderr(tty=True)
    callback = progress.keras_callback(epochs=1, steps_per_epoch=2)
    callback.on_train_begin()
    callback.on_epoch_begin(0)
    callback.on_train_batch_end(0)
    callback.on_train_end()
    assert stream.getvalue() == ""
    shown = progress.keras_callback(epochs=1, steps_per_epoch=2, progress=True)
    shown.on_train_begin()
    shown.on_train_end()
    assert "training, epoch 1/1" in stream.getvalue()


def test_bars_refuse_what_they_cannot_show():
    assert progress.bar(0, "", progress=False).total == 0  # an empty bar and an empty description are fine
    with pytest.raises(ValueError, match="total must be an integer >= 0"):
        progress.bar(-1, "scan", progress=False)
    with pytest.raises(TypeError, match="desc must be a string"):
        progress.bar(3, None, progress=False)
    with pytest.raises(TypeError, match="unit must be a string"):
        progress.bar(3, "scan", unit=1, progress=False)
    assert progress.keras_callback(epochs=1, steps_per_epoch=1) is not None
    for epochs, steps in ((0, 5), (5, 0)):
        with pytest.raises(ValueError, match="must be an integer >= 1"):
            progress.keras_callback(epochs=epochs, steps_per_epoch=steps)
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        progress.keras_callback(epochs=1, steps_per_epoch=1, progress="yes")  # refused at once, not at training
