"""Exercise 1: how a model learns its weights W.

A model learns by lowering a loss. You write the common losses by hand
(softmax, cross-entropy, binary cross-entropy, MSE, MAE, smooth L1), then the
gradient of the squared error of a linear model, one gradient-descent step
W_new = W - lr * dW, and finally a full training loop that lets autograd
compute the gradients for you.

练习 1：模型如何学到权重 W。
模型通过降低损失来学习。你将手写常见的损失函数（softmax、交叉熵、二元交叉熵、
MSE、MAE、smooth L1），然后推导线性模型平方误差的梯度，实现一步梯度下降
W_new = W - lr * dW，最后写一个由 autograd 自动求梯度的完整训练循环。
"""
import torch


def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Turn raw scores (logits) into probabilities along ``dim``.

    Args:
        logits: float tensor of any shape, e.g. [n, C] for n samples and C classes.
        dim: the dimension that holds the classes.

    Returns:
        A float tensor of the same shape; the values along ``dim`` are positive
        and sum to 1. ``exp`` overflows to ``inf`` for logits around 89 in
        float32, so subtract the maximum first: softmax(x) == softmax(x - c)
        for any constant c. Do not call ``torch.softmax``, ``F.softmax`` or
        ``log_softmax``.

    Hint: exp(logits - max along dim), divided by its sum along the same dim;
    use ``keepdim=True`` so the shapes broadcast.
    提示：先减去沿 dim 的最大值再取 exp，然后除以沿同一 dim 的和；用 ``keepdim=True``
    保持形状以便广播。
    """
    ### BEGIN SOLUTION
    exp = (logits - logits.amax(dim=dim, keepdim=True)).exp()
    return exp / exp.sum(dim=dim, keepdim=True)
    ### END SOLUTION


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy loss, equal to ``F.cross_entropy(logits, target)``.

    Args:
        logits: float tensor [n, C] of raw scores, NOT probabilities: this loss
            (like ``nn.CrossEntropyLoss``) applies the softmax itself, so a
            model trained with it returns logits and never ends in a softmax.
        target: int64 tensor [n] of class indices in [0, C).

    Returns:
        A 0-dim float tensor: mean over samples of
        ``-log softmax(logits)[i, target[i]] = logsumexp(logits[i]) - logits[i, target[i]]``.
        Compute the log-sum-exp by hand with the maximum subtracted, so logits
        of 1e4 do not overflow. Do not call ``F.cross_entropy``,
        ``nn.CrossEntropyLoss``, ``log_softmax`` or ``torch.logsumexp``.

    Hint: shifted = logits - max per row; loss = log(sum(exp(shifted))) -
    shifted at the target, picked with ``gather(1, target.unsqueeze(1))``.
    提示：shifted = logits 减去每行最大值；损失 = log(sum(exp(shifted))) 减去目标类别处的
    shifted，用 ``gather(1, target.unsqueeze(1))`` 取出。
    """
    ### BEGIN SOLUTION
    shifted = logits - logits.amax(dim=1, keepdim=True)
    log_sum_exp = shifted.exp().sum(dim=1).log()
    target_logit = shifted.gather(1, target.unsqueeze(1)).squeeze(1)
    return (log_sum_exp - target_logit).mean()
    ### END SOLUTION


def binary_cross_entropy(prob: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Mean binary cross-entropy of predicted probabilities.

    Args:
        prob: float tensor [n] of probabilities of the positive class
            (after a sigmoid, unlike ``cross_entropy`` which takes logits).
        target: float tensor [n] of 0.0 / 1.0 labels.
        eps: probabilities are clamped to [eps, 1 - eps] so ``log(0)`` never occurs.

    Returns:
        A 0-dim float tensor: mean of ``-(t*log(p) + (1-t)*log(1-p))``.

    Hint: ``p = prob.clamp(eps, 1 - eps)`` first, then the formula, then ``.mean()``.
    提示：先 ``p = prob.clamp(eps, 1 - eps)``，再套公式，最后 ``.mean()``。
    """
    ### BEGIN SOLUTION
    p = prob.clamp(eps, 1 - eps)
    return -(target * p.log() + (1 - target) * (1 - p).log()).mean()
    ### END SOLUTION


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error, equal to ``F.mse_loss(pred, target)``.

    Args:
        pred, target: float tensors of the same shape.

    Returns:
        A 0-dim float tensor: the mean of ``(pred - target) ** 2`` over all elements.

    Hint: square the difference, then ``.mean()``.
    提示：差值平方后取 ``.mean()``。
    """
    ### BEGIN SOLUTION
    return ((pred - target) ** 2).mean()
    ### END SOLUTION


def mae(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error, equal to ``F.l1_loss(pred, target)``.

    Args:
        pred, target: float tensors of the same shape.

    Returns:
        A 0-dim float tensor: the mean of ``|pred - target|`` over all elements.

    Hint: ``.abs()`` of the difference, then ``.mean()``.
    提示：差值取 ``.abs()`` 后求 ``.mean()``。
    """
    ### BEGIN SOLUTION
    return (pred - target).abs().mean()
    ### END SOLUTION


def smooth_l1(pred: torch.Tensor, target: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Smooth L1 (Huber-like) loss, equal to ``F.smooth_l1_loss(pred, target, beta=beta)``.

    Args:
        pred, target: float tensors of the same shape.
        beta: where the loss switches from quadratic to linear.

    Returns:
        A 0-dim float tensor: the mean over elements of
        ``0.5 * d**2 / beta`` where ``d = |pred - target| < beta``, else ``d - 0.5 * beta``.
        Quadratic near zero (smooth gradients), linear far away (robust to
        outliers). With ``beta == 0`` it is exactly the MAE (and must not divide by 0).

    Hint: ``torch.where(d < beta, quadratic, linear).mean()``; handle ``beta == 0`` first.
    提示：``torch.where(d < beta, 二次项, 线性项).mean()``；先单独处理 ``beta == 0``。
    """
    ### BEGIN SOLUTION
    d = (pred - target).abs()
    if beta == 0:
        return d.mean()
    return torch.where(d < beta, 0.5 * d**2 / beta, d - 0.5 * beta).mean()
    ### END SOLUTION


def linear_regression_grad(
    X: torch.Tensor, y: torch.Tensor, w: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The analytic gradient of ``L = mean((X @ w + b - y) ** 2)``, without autograd.

    Args:
        X: float tensor [n, d] of features.
        y: float tensor [n] of targets.
        w: float tensor [d] of weights.
        b: 0-dim float tensor, the bias.

    Returns:
        ``(dw, db)``: dw float [d] = dL/dw and db 0-dim float = dL/db.
        With the residual r = X @ w + b - y: dw = 2/n * X^T r and db = 2/n * sum(r).

    Hint: compute r once; ``X.T @ r`` sums each feature times the residual over samples.
    提示：先算一次残差 r；``X.T @ r`` 会对每个特征在所有样本上求 特征×残差 的和。
    """
    ### BEGIN SOLUTION
    n = X.shape[0]
    residual = X @ w + b - y
    return 2 / n * (X.T @ residual), 2 / n * residual.sum()
    ### END SOLUTION


def gd_step(
    w: torch.Tensor, b: torch.Tensor, dw: torch.Tensor, db: torch.Tensor, lr: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of gradient descent: move against the gradient.

    Args:
        w: float tensor [d]; b: 0-dim float tensor.
        dw, db: their gradients, same shapes.
        lr: the learning rate (step size).

    Returns:
        ``(w_new, b_new)`` = ``(w - lr * dw, b - lr * db)`` as NEW tensors; the
        inputs are left unchanged (no in-place ``-=``).

    Hint: plain arithmetic creates new tensors; ``w -= ...`` would modify ``w``.
    提示：普通的算术运算会生成新张量；``w -= ...`` 会原地修改 ``w``。
    """
    ### BEGIN SOLUTION
    return w - lr * dw, b - lr * db
    ### END SOLUTION


def fit_linear_regression(
    X: torch.Tensor,
    y: torch.Tensor,
    lr: float = 0.1,
    epochs: int = 100,
    batch_size: int | None = None,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Train ``y ≈ X @ w + b`` with autograd and (mini-batch) gradient descent on the MSE.

    Args:
        X: float tensor [n, d]; y: float tensor [n].
        lr: learning rate.
        epochs: passes over the whole data set. One epoch holds one step when
            ``batch_size`` is None (full-batch gradient descent), otherwise
            ceil(n / batch_size) steps, one per mini-batch (the last may be smaller).
        batch_size: None for full batch; otherwise every epoch draws a new
            ``torch.randperm(n, generator=g)`` with ``g = torch.Generator().manual_seed(seed)``
            created once before the first epoch.
        seed: seeds that generator, so the same seed gives the same result.

    Returns:
        ``(w, b, losses)``: w float [d] and b 0-dim float, detached from the
        graph; ``losses[i]`` is the MSE on ALL data after epoch i, a Python float.

    Start from ``w = zeros(d)`` and ``b = zeros(())`` with ``requires_grad=True``.
    Each step: loss on the batch, ``loss.backward()``, update ``w`` and ``b``
    under ``torch.no_grad()`` (the update itself must not be recorded in the
    graph), then zero the gradients: ``backward()`` ADDS to ``.grad``, so
    without zeroing every step would use the sum of all past gradients.

    Hint: ``with torch.no_grad(): w -= lr * w.grad`` then ``w.grad.zero_()``;
    ``.item()`` turns a 0-dim tensor into a float.
    提示：``with torch.no_grad(): w -= lr * w.grad``，然后 ``w.grad.zero_()``；
    ``.item()`` 把 0 维张量变成 Python 浮点数。
    """
    ### BEGIN SOLUTION
    n, d = X.shape
    w = torch.zeros(d, dtype=X.dtype, requires_grad=True)
    b = torch.zeros((), dtype=X.dtype, requires_grad=True)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        if batch_size is None:
            batches = [torch.arange(n)]
        else:
            batches = torch.randperm(n, generator=g).split(batch_size)
        for idx in batches:
            loss = ((X[idx] @ w + b - y[idx]) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
        with torch.no_grad():
            losses.append(((X @ w + b - y) ** 2).mean().item())
    return w.detach(), b.detach(), losses
    ### END SOLUTION


def make_house_prices(n: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Provided: a toy regression data set with a known linear rule.

    Returns ``(X, y)``: X float32 [n, 4] standard-normal (already standardized)
    features, y float32 [n] = ``X @ [3.0, -2.0, 1.5, 0.5] + 4.0 + 0.1 * noise``.
    A good fit recovers w ≈ [3, -2, 1.5, 0.5] and b ≈ 4.

    已提供：一个线性规律已知的玩具回归数据集。好的拟合应得到 w ≈ [3, -2, 1.5, 0.5]，b ≈ 4。
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=g)
    y = X @ torch.tensor([3.0, -2.0, 1.5, 0.5]) + 4.0 + 0.1 * torch.randn(n, generator=g)
    return X, y
