"""gan_helpers.course: fast mode, seeding, device choice."""

import pytest
import torch

from gan_helpers import budget, choose_device, fast_mode, seed_everything


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("ON", True), ("0", False),
                                            ("", False), ("no", False)])
def test_fast_mode_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("GAN_COURSE_FAST", value)
    assert fast_mode() is expected
    assert budget(default=1000, fast=10) == (10 if expected else 1000)


def test_fast_mode_rejects_a_typo(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_FAST", "yess")
    with pytest.raises(ValueError, match="GAN_COURSE_FAST"):
        fast_mode()


def test_seed_everything_makes_torch_repeatable():
    g1 = seed_everything(7)
    a = torch.randn(5)
    b = torch.randn(3, generator=g1)
    g2 = seed_everything(7)
    assert torch.equal(a, torch.randn(5))
    assert torch.equal(b, torch.randn(3, generator=g2))
    with pytest.raises(TypeError, match="int"):
        seed_everything(1.5)


def test_choose_device():
    assert choose_device("cpu") == torch.device("cpu")
    assert choose_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            choose_device("cuda")
