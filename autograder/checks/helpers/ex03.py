"""Helpers of ex03's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import math

import torch

from ...engine.worker import probes_ex03
from ...feedback.catalog import Msg
from ..api import compare, expect, expect_close, expect_equal, expect_number, expect_tensor, fail
from ..reference.ex03 import (
    init_layers,
    predict_logits,
    predict_weights,
    reference_forward,
    varies,
    well_formed_linears,
)
from .ex01 import call_probe, is_close

MODULE = "ex03_model"


def mlp(sub, in_features, hidden, num_classes, x, hint, **kwargs):
    """mlp_run in the worker: the outputs of the student's MLP, its Linear layers in call order
    (the weights are the student's answer; what they must give is computed here)."""
    out = call_probe(sub, MODULE, probes_ex03.mlp_run, "MLP", in_features, hidden, num_classes, x, hint=hint, **kwargs)
    expect(isinstance(out, dict) and isinstance(out.get("outputs"), list) and out["outputs"],
           Msg("cmp.type", expected="model(x)", got=type(out).__name__), hint=hint, name="model(x)")
    for y in out["outputs"]:
        expect_tensor(y, shape=[x.shape[0], num_classes], dtype=torch.float32, hint=hint, name="model(x)")
    expect(well_formed_linears(out.get("linears")),
           Msg("cmp.type", expected=Msg("value.ex03_matching_layers"), got=Msg("value.ex03_mismatched")),
           hint="hint.ex03_layer_sizes", name=Msg("label.ex03_linear_layers"))
    return out


def forward_hint(got, x, linears) -> str:
    """Which mistake a forward that differs from reference_forward points to."""
    expected = reference_forward(x, linears)
    if is_close(got, torch.softmax(expected, dim=1)):
        return "hint.ex03_logits"
    if is_close(got, torch.relu(expected)) or is_close(got, reference_forward(x, linears, relu=False)):
        return "hint.ex03_relu"
    return "hint.ex03_forward"


def expect_forward(got, x, linears, name="model(x)"):
    """``got`` must be the forward computed here from the model's own weights, and depend on x."""
    expected = reference_forward(x, linears)
    problem = compare(got, expected)
    if problem is not None:
        fail(problem, hint=forward_hint(got, x, linears), name=name)
    expect(varies(expected),
           Msg("cmp.number", got=Msg("value.ex03_same_logits"), expected=Msg("value.ex03_logits_vary")),
           hint="hint.ex03_forward", name=name)


def expect_sizes(linears, sizes, name):
    shapes = [list(w.shape) for w, _ in linears]
    expect_equal(shapes, [[o, i] for i, o in zip(sizes, sizes[1:])], hint="hint.ex03_layer_sizes", name=name)


def predict(sub, func, x, hint, seed, **kwargs):
    """predict_run on a model holding weights the grader chose from ``seed``: (its report, the weights)."""
    weights = predict_weights(seed)
    out = call_probe(sub, MODULE, probes_ex03.predict_run, func, func, x, weights, hint=hint, **kwargs)
    expect(isinstance(out, dict), Msg("cmp.type", expected=Msg("value.result"), got=type(out).__name__), hint=hint,
           name=func)
    return out, weights


def expect_proba(result, x, weights, hint="hint.ex03_proba_softmax"):
    """The softmax of the eval-mode logits, computed here from the weights the grader sent."""
    expected = torch.softmax(predict_logits(weights, x), dim=1)
    expect_tensor(result, shape=expected.shape, dtype=torch.float32, hint=hint, name="predict_proba(model, x)")
    expect_close(result.sum(dim=1), torch.ones(x.shape[0]), hint=hint, name=Msg("label.ex03_row_sums"))
    expect_close(result, expected, hint=hint, name="predict_proba(model, x)")


def expect_predict(result, x, weights):
    expected = predict_logits(weights, x).argmax(dim=1)
    expect_close(result, expected, hint="hint.ex03_predict", name="predict(model, x)")


def expect_init(out, sizes, sent, scheme, hint, rtol):
    """The weights init_weights left (computed on here): every layer changed from what the grader
    sent, std within ``rtol`` of the scheme's, mean about 0, biases zero."""
    after = out.get("after") if isinstance(out, dict) else None
    expect(isinstance(after, list) and len(after) == len(sizes)
           and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in after),
           Msg("cmp.type", expected=Msg("value.ex03_layer_weights"), got=type(after).__name__), hint=hint,
           name="init_weights(model)")
    for i, ((fan_in, fan_out), (w0, b0), (w, b)) in enumerate(zip(sizes, sent, after)):
        name = f"Linear({fan_in}, {fan_out}) weight std"
        expect_tensor(w, shape=[fan_out, fan_in], hint=hint, name=Msg("label.ex03_layer_weight", i=i))
        expect_tensor(b, shape=[fan_out], hint="hint.ex03_init_bias", name=Msg("label.ex03_layer_bias", i=i))
        if compare(w, w0, atol=0.0, rtol=0.0) is None:
            fail(Msg("cmp.number", got=Msg("value.ex03_unchanged"),
                     expected=Msg("value.ex03_scheme_weights", scheme=scheme)),
                 hint="hint.ex03_init_all_layers", name=name)
        kaiming, xavier = math.sqrt(2 / fan_in), math.sqrt(2 / (fan_in + fan_out))
        target, other = (kaiming, xavier) if scheme == "kaiming" else (xavier, kaiming)
        w = w.double()
        std = float(w.std())
        wrong = "hint.ex03_init_swapped" if math.isclose(std, other, rel_tol=rtol) else hint
        expect_number(std, target, rtol=rtol, atol=0.0, hint=wrong, name=name)
        expect_number(float(w.mean()), 0.0, atol=0.05 * target, rtol=0.0, hint=hint,
                      name=f"Linear({fan_in}, {fan_out}) weight mean")
        expect_close(b, torch.zeros_like(b), atol=0.0, rtol=0.0, dtype=False, hint="hint.ex03_init_bias",
                     name=Msg("label.ex03_layer_bias", i=i))
    return after


def init(sub, sizes, scheme, seed, hint):
    """init_run on layers holding weights the grader chose: (its report, what was sent)."""
    sent = init_layers(sizes, seed)
    out = call_probe(sub, MODULE, probes_ex03.init_run, "init_weights", sent, scheme=scheme, seed=seed, hint=hint)
    return out, sent


SCHEME_HINTS = {"kaiming": "hint.ex03_init_kaiming", "xavier": "hint.ex03_init_xavier"}


def expect_init_normal(sub, sizes, scheme, seed, rtol):
    """Each layer: changed, biases zero, mean ~0, std within ``rtol`` of the scheme's, normal (not
    uniform) tails; all computed here from the weights init_weights left."""
    out, sent = init(sub, sizes, scheme, seed, SCHEME_HINTS[scheme])
    after = expect_init(out, sizes, sent, scheme, SCHEME_HINTS[scheme], rtol=rtol)
    for (fan_in, fan_out), (w, _) in zip(sizes, after):
        std = float(w.double().std())
        expect(float(w.abs().max()) > 3 * std, Msg("cmp.number", got=Msg("value.ex03_bounded"),
                                                   expected=Msg("value.ex03_normal_tails")),
               hint=SCHEME_HINTS[scheme], name=Msg("label.ex03_weight_std", layer=f"Linear({fan_in}, {fan_out})"))


def expect_proba_of_eval(result, x, weights, hint):
    """Probabilities (rows summing to 1) equal to the softmax of the eval-mode logits computed
    here: a model left in train mode drops units at random and gives other values."""
    expected = torch.softmax(predict_logits(weights, x), dim=1)
    expect_tensor(result, shape=list(expected.shape), dtype=torch.float32, hint="hint.ex03_proba_softmax",
                  name="predict_proba(model, x)")
    expect_close(result.sum(dim=1), torch.ones(x.shape[0]), hint="hint.ex03_proba_softmax",
                 name=Msg("label.ex03_row_sums"))
    expect_close(result, expected, hint=hint, name="predict_proba(model, x)")


def expect_layers(out, x, sizes, hint, name):
    """An mlp() report of MLP(sizes[0], sizes[1:-1], sizes[-1]): len(sizes) - 1 Linear layers of those
    sizes in call order (``hint`` for their number, ``name`` labels their shapes), and a forward
    that uses them all."""
    expect_equal(out["n_linear"], len(sizes) - 1, hint=hint, name=Msg("label.ex03_n_linear"))
    expect_sizes(out["linears"], sizes, name)
    expect_forward(out["outputs"][0], x, out["linears"])  # layers that forward does not use earn nothing


def expect_dropout_train_and_eval(sub, in_features, hidden, num_classes, x, seed):
    """MLP(in_features, hidden, num_classes, dropout=0.5) built with ``seed``: two train-mode forwards
    of x differ from each other and from the plain forward of its weights; in eval mode it is that
    plain forward."""
    out = mlp(sub, in_features, hidden, num_classes, x, "hint.ex03_dropout_missing", dropout=0.5, seed=seed,
              repeats=2, then_eval=True)
    first, second = out["outputs"][:2]
    plain = reference_forward(x, out["linears"])
    expect(not torch.allclose(first, second) and not torch.allclose(first, plain, atol=1e-5),
           Msg("cmp.number", got=Msg("value.ex03_same_output"), expected=Msg("value.ex03_dropout")),
           hint="hint.ex03_dropout_missing", name=Msg("label.ex03_in_mode", call="model(x)", mode="train"))
    # random outputs alone earn nothing: the same model in eval mode is the plain forward of its weights
    expect_tensor(out.get("eval_output"), shape=[x.shape[0], num_classes], dtype=torch.float32,
                  hint="hint.ex03_dropout_eval", name=Msg("label.ex03_in_mode", call="model(x)", mode="eval"))
    expect_close(out["eval_output"], plain, hint="hint.ex03_dropout_eval",
                 name=Msg("label.ex03_in_mode", call="model(x)", mode="eval"))


def expect_unknown_scheme(sub, sizes, seed, scheme):
    """init_weights must work with 'kaiming' on layers of ``sizes`` (weights from ``seed``) first, so
    that one that always raises earns nothing; then the unknown ``scheme`` raises ValueError."""
    out, sent = init(sub, sizes, "kaiming", seed, "hint.ex03_init_kaiming")
    expect_init(out, sizes, sent, "kaiming", "hint.ex03_init_kaiming", rtol=0.1)
    out = call_probe(sub, MODULE, probes_ex03.init_raises, "init_weights", scheme)
    expect("ValueError" in out["mro"], Msg("cmp.type", expected="ValueError", got=(out["mro"] or ["no exception"])[0]),
           hint="hint.ex03_init_scheme_error", name=f"init_weights(model, '{scheme}')")


def expect_counts_with_frozen(sub, sizes, frozen, cases):
    """count_parameters of a model of Linear layers of ``sizes`` with the layers ``frozen`` frozen:
    for each (trainable_only, expected) of ``cases`` (None: the default), the count is ``expected``."""
    for trainable_only, expected in cases:
        out = call_probe(sub, MODULE, probes_ex03.count_run, "count_parameters", sizes=sizes, frozen=frozen,
                         trainable_only=trainable_only, hint="hint.ex03_count_trainable")
        label = "" if trainable_only is None else f", trainable_only={trainable_only}"
        tensors = 4 if trainable_only is False else 2  # parameter tensors, not their elements
        hint = "hint.ex03_count" if out["result"] == tensors else "hint.ex03_count_trainable"
        expect_equal(out["result"], expected, hint=hint, name=f"count_parameters(model{label})")


def expect_no_grad(out):
    """A predict() report of predict_proba: as seen in the worker, its result does not require grad
    and every forward of the model ran with gradients disabled."""
    result = out.get("result")
    expect(not getattr(result, "remote_requires_grad", True),
           Msg("cmp.number", got=Msg("value.ex03_requires_grad"), expected=Msg("value.ex03_no_grad")),
           hint="hint.ex03_no_grad", name="predict_proba(model, x)")
    forwards = out.get("forwards") if isinstance(out.get("forwards"), list) else []
    expect_equal([f[2] if isinstance(f, list) and len(f) > 2 else True for f in forwards], [False] * len(forwards),
                 hint="hint.ex03_no_grad", name=Msg("label.ex03_grad_during_forward"))
