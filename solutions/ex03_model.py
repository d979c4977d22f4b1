"""Exercise 3: building the network.

A network is an ``nn.Module``: layers are created in ``__init__`` and used in
``forward``. You build a multi-layer perceptron (MLP) that returns logits,
initialize its weights, count its parameters, and turn its outputs into
probabilities and class predictions.

练习 3：搭建网络。
网络是一个 ``nn.Module``：在 ``__init__`` 中创建各层，在 ``forward`` 中使用它们。
你将构建返回 logits 的多层感知机（MLP），初始化它的权重，统计参数个数，并把输出
转换为概率和类别预测。
"""
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """A multi-layer perceptron for classification.

    ``MLP(4, [16], 3)`` is Linear(4, 16) -> ReLU -> Linear(16, 3);
    ``MLP(4, [], 3)`` is a single Linear(4, 3) (logistic regression).

    用于分类的多层感知机。``MLP(4, [], 3)`` 只有一个 Linear(4, 3)（即逻辑回归）。
    """

    def __init__(self, in_features: int, hidden: Sequence[int], num_classes: int, dropout: float = 0.0) -> None:
        """Create the layers.

        Args:
            in_features: inputs per sample after flattening (4 for iris, 64 for 8x8 digits).
            hidden: widths of the hidden layers, any sequence (list or tuple); empty for none.
            num_classes: outputs, one logit per class.
            dropout: when > 0, an ``nn.Dropout(dropout)`` follows every ReLU.

        For each hidden width: ``nn.Linear`` -> ``nn.ReLU`` (-> ``nn.Dropout``),
        then a final ``nn.Linear`` to ``num_classes``. Call ``super().__init__()``
        first, or assigning layers fails.

        Hint: collect the layers in a list and wrap it in ``nn.Sequential(*layers)``.
        提示：先调用 ``super().__init__()``；把各层放进列表，再用 ``nn.Sequential(*layers)`` 包起来。
        """
        ### BEGIN SOLUTION
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a batch.

        Args:
            x: float tensor [batch, ...]; every dim after the batch dim is
                flattened, so [n, 4] and [n, 1, 8, 8] both work.

        Returns:
            Float tensor [batch, num_classes] of raw scores (logits). No
            softmax here: ``nn.CrossEntropyLoss`` applies it itself, and a
            second softmax would make the loss wrong and training slow.

        Hint: ``x.flatten(start_dim=1)``, then the layers.
        提示：先 ``x.flatten(start_dim=1)``，再经过各层。不要在这里做 softmax。
        """
        ### BEGIN SOLUTION
        return self.net(x.flatten(start_dim=1))
        ### END SOLUTION


def init_weights(model: nn.Module, scheme: str = "kaiming") -> None:
    """Re-initialize every ``nn.Linear`` of ``model`` in place.

    Args:
        model: any module; all its ``nn.Linear`` layers (found with
            ``model.modules()``) are changed.
        scheme: ``"kaiming"`` uses ``nn.init.kaiming_normal_(w, nonlinearity="relu")``
            (suited to ReLU networks), ``"xavier"`` uses ``nn.init.xavier_normal_(w)``.
            Any other value raises ``ValueError`` naming the valid ones.

    Returns None; biases are set to zero.

    Hint: ``for m in model.modules(): if isinstance(m, nn.Linear): ...``;
    ``nn.init.zeros_(m.bias)``.
    提示：遍历 ``model.modules()``，对 ``isinstance(m, nn.Linear)`` 的层初始化权重；
    偏置用 ``nn.init.zeros_(m.bias)``。
    """
    ### BEGIN SOLUTION
    if scheme not in ("kaiming", "xavier"):
        raise ValueError(f"unknown scheme {scheme!r}: expected 'kaiming' or 'xavier'")
    for module in model.modules():
        if isinstance(module, nn.Linear):
            if scheme == "kaiming":
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                nn.init.xavier_normal_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    ### END SOLUTION


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of scalar parameters of ``model``.

    Args:
        model: any module.
        trainable_only: count only parameters with ``requires_grad=True``
            (frozen ones are skipped); False counts all.

    Returns:
        An int; ``MLP(4, [16], 3)`` has 4*16 + 16 + 16*3 + 3 = 131.

    Hint: ``sum(p.numel() for p in model.parameters() ...)``.
    提示：``sum(p.numel() for p in model.parameters() ...)``。
    """
    ### BEGIN SOLUTION
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    ### END SOLUTION


def predict_proba(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Class probabilities for a batch.

    Args:
        model: a classifier returning logits [n, C].
        x: its input batch [n, ...].

    Returns:
        Float tensor [n, C], rows summing to 1, without a graph.

    Use ``model.eval()`` (dropout off, batchnorm uses its running statistics,
    so the prediction is deterministic) and ``torch.no_grad()`` (no graph is
    built: faster, less memory). Remember ``model.training`` first and restore
    it with ``model.train(was_training)``, so calling this during training
    does not silently switch dropout off for the remaining epochs.

    Hint: ``F.softmax(model(x), dim=1)`` inside ``with torch.no_grad():``.
    提示：在 ``with torch.no_grad():`` 中计算 ``F.softmax(model(x), dim=1)``；先记下
    ``model.training``，结束后用 ``model.train(was_training)`` 恢复。
    """
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = F.softmax(model(x), dim=1)
    model.train(was_training)
    return probs
    ### END SOLUTION


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Predicted class of every sample.

    Args:
        model: a classifier returning logits [n, C].
        x: its input batch [n, ...].

    Returns:
        int64 tensor [n]: the index of the largest logit per row (the same
        class as the largest probability; softmax does not change the order).
        Like ``predict_proba``: eval mode, no grad, mode restored afterwards.

    Hint: ``model(x).argmax(dim=1)``.
    提示：``model(x).argmax(dim=1)``，同样要用 eval 模式、no_grad，并恢复原模式。
    """
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    with torch.no_grad():
        labels = model(x).argmax(dim=1)
    model.train(was_training)
    return labels
    ### END SOLUTION
