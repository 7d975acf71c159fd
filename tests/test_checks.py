"""gan_helpers.checks: each check passes on right input and fails, in plain words, on wrong input."""

import math

import pytest
import torch

from gan_helpers.checks import (CheckFailed, check_close, check_dtype, check_finite, check_grad_close,
                                check_number_close, check_scalar, check_shape, check_tensor, NotAnswered,
                                passed, require_answer)


def test_check_failed_is_an_assertion_error():
    assert issubclass(CheckFailed, AssertionError)  # nbgrader and pytest count it as a failed test
    assert issubclass(NotAnswered, NotImplementedError)  # an unanswered question is an unfinished stub


def test_check_tensor():
    check_tensor(torch.zeros(2), "x")
    with pytest.raises(CheckFailed, match=r"x is None; expected a torch.Tensor.\nHint: did you forget a `return`"):
        check_tensor(None, "x")
    with pytest.raises(CheckFailed, match="x is a float; expected a torch.Tensor"):
        check_tensor(1.0, "x")


def test_check_scalar_names_the_shape_and_the_likely_mistake():
    check_scalar(torch.tensor(1.0), "d_loss")
    with pytest.raises(CheckFailed) as info:
        check_scalar(torch.zeros(32, 1), "d_loss")
    assert str(info.value) == ("d_loss has shape [32, 1]; expected a scalar (shape []).\n"
                               "Hint: did you forget to average over the batch with .mean()?")


def test_check_shape_and_dtype():
    check_shape(torch.zeros(2, 3), (2, 3), "x")
    with pytest.raises(CheckFailed, match=r"x has shape \[3, 2\]; expected \[2, 3\]"):
        check_shape(torch.zeros(3, 2), (2, 3), "x")
    check_dtype(torch.zeros(1, dtype=torch.float64), torch.float64, "x")
    with pytest.raises(CheckFailed, match="x has dtype torch.float32; expected torch.float64"):
        check_dtype(torch.zeros(1), torch.float64, "x")


def test_check_finite_counts_nan_and_inf():
    check_finite(torch.tensor([1.0, -2.0]), "x")
    with pytest.raises(CheckFailed, match="x contains 1 NaN and 2 infinite value"):
        check_finite(torch.tensor([float("nan"), float("inf"), -float("inf"), 0.0]), "x")


def test_check_close_is_two_sided_and_reports_the_worst_element():
    check_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 1e-7, 2.0 - 1e-7]), "x", rtol=1e-5)
    for wrong in (1.01, 0.99):  # too high and too low both fail
        with pytest.raises(CheckFailed, match="x is"):
            check_close(torch.tensor(wrong), 1.0, "x", rtol=1e-5, atol=0)
    with pytest.raises(CheckFailed, match=r"x is 5 at flat index 2 of 3; expected 3 .*1 of 3 value"):
        check_close(torch.tensor([1.0, 2.0, 5.0]), torch.tensor([1.0, 2.0, 3.0]), "x")
    with pytest.raises(CheckFailed, match=r"x has shape \[2\]; expected \[\]"):
        check_close(torch.tensor([1.0, 1.0]), 1.0, "x")  # no silent broadcasting
    with pytest.raises(CheckFailed, match="NaN"):
        check_close(torch.tensor(float("nan")), 1.0, "x")
    with pytest.raises(ValueError, match="non-negative"):
        check_close(torch.tensor(1.0), 1.0, "x", rtol=-1)


def test_check_number_close():
    check_number_close(math.log(2) + 1e-9, math.log(2), "ratio")
    with pytest.raises(CheckFailed, match="ratio is 2; expected 1"):
        check_number_close(2.0, 1.0, "ratio")
    with pytest.raises(CheckFailed, match="expected a number"):
        check_number_close("two", 1.0, "ratio")
    with pytest.raises(CheckFailed, match="expected a finite number"):
        check_number_close(float("inf"), 1.0, "ratio")


def test_check_grad_close():
    x = torch.randn(6)
    check_grad_close(lambda a: (a ** 2).mean(), lambda a: (a * a).mean(), [x], "f")
    with pytest.raises(CheckFailed, match="the gradient of f"):
        check_grad_close(lambda a: (a ** 2).sum(), lambda a: (a * a).mean(), [x], "f")
    with pytest.raises(CheckFailed, match="does not depend on its input through autograd"):
        check_grad_close(lambda a: torch.tensor(a.detach().sum().item()), lambda a: a.sum(), [x], "f")


def test_require_answer():
    assert require_answer(" B ", "answer_q1", ["a", "b"]) == "b"
    with pytest.raises(NotAnswered, match="answer_q1 is not answered yet"):
        require_answer(None, "answer_q1", ["a", "b"])
    with pytest.raises(CheckFailed, match="answer_q1 is 'e'; expected one of 'a', 'b'"):
        require_answer("e", "answer_q1", ["a", "b"])
    with pytest.raises(CheckFailed, match="answer_q1 is a int"):
        require_answer(2, "answer_q1", ["a", "b"])


def test_passed_prints_a_tick(capsys):
    passed("done")
    assert capsys.readouterr().out == "\u2714 done\n"
