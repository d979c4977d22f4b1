"""Public checks for ex01: losses and gradient descent by hand."""
import torch

from ..api import check, expect_close


def logits(n, c, seed, scale=3.0):
    return torch.randn(n, c, generator=torch.Generator().manual_seed(seed)) * scale


@check("ex01", "softmax", 2, en="softmax matches torch.softmax on a 4x5 batch", zh="softmax 在 4x5 的批量上与 torch.softmax 一致")
def test_softmax_matches_torch(ex01):
    x = logits(4, 5, seed=1)
    expect_close(ex01.softmax(x), torch.softmax(x, dim=-1), hint="hint.softmax_rows")
